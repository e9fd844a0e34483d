// The refreshed terminal view of the demo: on a terminal, the screen is redrawn in place every
// second (plain ANSI: home + clear, no curses); otherwise (CI logs, pipes) a new snapshot is
// printed only when something changed, so a log stays readable.
import type { KubeRest } from "swh-kube-client";
import { endpointsView, gatherViews, swhTable, type SwhView } from "./view.js";

/** Where the view is drawn. */
export interface Screen {
  readonly tty: boolean;
  write(text: string): void;
}

/** The process's stdout as a screen. */
export const stdoutScreen: Screen = {
  tty: process.stdout.isTTY === true,
  write: text => void process.stdout.write(text),
};

/** Renders one frame: a title, the SWH table and the endpoints table, and footer lines. */
export function frame(
  title: string,
  views: readonly SwhView[],
  footer: readonly string[],
  now: number,
): string {
  return [title, "", ...swhTable(views, now), "", ...endpointsView(views), "", ...footer, ""].join(
    "\n",
  );
}

/**
 * Shows the live view until `done(views)` is true or `timeoutMs` passes; `footer` adds lines
 * (what is going on). Returns the last views.
 */
export async function liveView(opts: {
  readonly rest: KubeRest;
  readonly screen: Screen;
  readonly title: string;
  readonly namespace?: string;
  readonly footer: () => readonly string[];
  readonly done: (views: readonly SwhView[]) => boolean;
  readonly timeoutMs: number;
}): Promise<{ views: SwhView[]; timedOut: boolean }> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = "";
  for (;;) {
    const views = await gatherViews(opts.rest, opts.namespace).catch(() => [] as SwhView[]);
    const text = frame(opts.title, views, opts.footer(), Date.now());
    if (opts.screen.tty) opts.screen.write(`\x1b[H\x1b[2J${text}`);
    else {
      // Without a terminal, print a frame only when its content (ages aside) changed.
      const key = frame(opts.title, views, opts.footer(), 0);
      if (key !== last) opts.screen.write(`${text}\n`);
      last = key;
    }
    if (opts.done(views)) return { views, timedOut: false };
    if (Date.now() >= deadline) return { views, timedOut: true };
    await new Promise(resolve => setTimeout(resolve, 1000));
  }
}

/** Names of the ready pods of SWH `ns/name` in `views`, sorted. */
export function readyIn(views: readonly SwhView[], ns: string, name: string): string[] {
  const view = views.find(v => v.swh.metadata.namespace === ns && v.swh.metadata.name === name);
  return [...new Set((view?.endpoints ?? []).filter(e => e.ready).map(e => e.pod))].sort();
}
