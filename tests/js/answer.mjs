// Answers a paused thread of a `langgraph dev` server with @langchain/langgraph-sdk, the way
// a web client does. Reads {url, token, threadId, assistantId, client, resume} on stdin:
// - client "agent-chat-ui": runs.stream with input {} and command {resume} (thread.submit);
// - client "agent-inbox": runs.stream with command {resume} (its sendHumanResponse);
// - client "plain": runs.wait with command {resume}.
// Prints {before, errors, after}: the thread state's interrupts before, the run's error
// events, and the thread state after.
import { Client } from "@langchain/langgraph-sdk";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const client = new Client({
  apiUrl: request.url,
  defaultHeaders: request.token ? { Authorization: `Bearer ${request.token}` } : {},
});

const before = await client.threads.getState(request.threadId);
const errors = [];
const command = { resume: request.resume };
if (request.client === "plain") {
  const out = await client.runs.wait(request.threadId, request.assistantId, {
    command,
    raiseError: false,
  });
  if (out && out.__error__) errors.push(out.__error__);
} else {
  const options =
    request.client === "agent-chat-ui"
      ? { input: {}, command, streamMode: ["values"] }
      : { command };
  for await (const part of client.runs.stream(request.threadId, request.assistantId, options)) {
    if (part.event === "error") errors.push(part.data);
  }
}
const after = await client.threads.getState(request.threadId);
process.stdout.write(JSON.stringify({ before: before.interrupts ?? [], errors, after }));
