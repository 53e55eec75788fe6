// parse.mjs reads one Mermaid diagram on stdin and parses it with the mermaid package's grammar,
// the one GitHub draws diagrams with. When the diagram parses, it prints its type and, for a Gantt
// chart, its number of tasks ("gantt 5"), and exits 0; otherwise it exits 1 with the error on
// stderr. Mermaid's sanitizer (DOMPurify) needs a DOM: jsdom provides one.
import { JSDOM } from 'jsdom';

const { window } = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = window;
globalThis.document = window.document;
globalThis.DOMPurify = undefined;

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const text = Buffer.concat(chunks).toString('utf8');

try {
  const { default: mermaid } = await import('mermaid');
  mermaid.initialize({ startOnLoad: false });
  const res = await mermaid.parse(text);
  if (!res) throw new Error('mermaid.parse returned nothing');
  // A Gantt chart's dates are only read when it is drawn: compute its tasks, which fails on a
  // date that does not match the dateFormat or a task that ends before it starts.
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  let out = res.diagramType;
  if (res.diagramType === 'gantt') {
    const tasks = diagram.db.getTasks();
    out += ` ${tasks.length}`;
    for (const task of tasks) {
      if (!(task.startTime instanceof Date) || isNaN(task.startTime) || !(task.endTime instanceof Date) || isNaN(task.endTime)) {
        throw new Error(`task ${JSON.stringify(task.task)}: invalid start or end`);
      }
      if (task.endTime < task.startTime) throw new Error(`task ${JSON.stringify(task.task)}: ends before it starts`);
      // An end Mermaid does not understand silently makes the task end where it starts.
      const end = task.raw?.endTime?.data, start = task.raw?.startTime?.startData;
      if (+task.endTime === +task.startTime && end !== undefined && end !== start) {
        throw new Error(`task ${JSON.stringify(task.task)}: end ${JSON.stringify(end)} is not a date of the dateFormat nor a duration`);
      }
    }
  }
  process.stdout.write(`${out}\n`);
} catch (err) {
  process.stderr.write(`${err && err.message ? err.message : err}\n`);
  process.exit(1);
}
