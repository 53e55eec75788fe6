// parse.mjs reads Mermaid diagrams on stdin, separated by NUL characters, and parses each with
// the mermaid package's grammar, the one GitHub draws diagrams with. It prints one line per
// diagram, in order: "ok <type>" ("ok gantt 5" for a Gantt chart of 5 tasks) when it parses,
// "error <message>" (on one line) when it does not. Mermaid's sanitizer (DOMPurify) needs a DOM:
// jsdom provides one.
import { JSDOM } from 'jsdom';

const { window } = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = window;
globalThis.document = window.document;

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const diagrams = Buffer.concat(chunks).toString('utf8').split('\u0000');

const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });

async function check(text) {
  const res = await mermaid.parse(text);
  if (!res) throw new Error('mermaid.parse returned nothing');
  let out = res.diagramType;
  if (res.diagramType === 'gantt') {
    // A Gantt chart's dates are only read when it is drawn: compute its tasks, which fails on
    // a date that does not match the dateFormat or a task that ends before it starts.
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    const tasks = diagram.db.getTasks();
    out += ` ${tasks.length}`;
    for (const task of tasks) {
      const name = JSON.stringify(task.task);
      if (!(task.startTime instanceof Date) || isNaN(task.startTime) || !(task.endTime instanceof Date) || isNaN(task.endTime)) {
        throw new Error(`task ${name}: invalid start or end`);
      }
      if (task.endTime < task.startTime) throw new Error(`task ${name}: ends before it starts`);
      // An end Mermaid does not understand silently makes the task end where it starts.
      const end = task.raw?.endTime?.data, start = task.raw?.startTime?.startData;
      if (+task.endTime === +task.startTime && end !== undefined && end !== start) {
        throw new Error(`task ${name}: end ${JSON.stringify(end)} is not a date of the dateFormat nor a duration`);
      }
    }
  }
  return out;
}

for (const text of diagrams) {
  try {
    process.stdout.write(`ok ${await check(text)}\n`);
  } catch (err) {
    const msg = String(err && err.message ? err.message : err).replace(/\s*\n\s*/g, ' | ');
    process.stdout.write(`error ${msg}\n`);
  }
}
