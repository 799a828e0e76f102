/** How far one invocation of a resumable pass got. */
export interface PassProgress {
  /** Entries the visitor counted as checked. */
  checked: number;
  /** Pages read. */
  pages: number;
  /** This invocation reached the list's end; the next one starts the pass again. */
  passComplete: boolean;
}

/** A paged list with a saved place: where the last invocation stopped. */
export interface ResumableList<T> {
  savedCursor(): Promise<string | undefined>;
  page(limit: number, cursor: string | undefined): Promise<{ entries: readonly T[]; cursor: string | undefined }>;
  saveCursor(cursor: string | undefined): Promise<void>;
}

/**
 * One invocation's share of a pass over a list too long for one invocation (the reconcilers'):
 * pages of at most `pageSize` from the saved cursor on, until `budget` entries are checked or the
 * list ends, then the cursor saved for the next invocation. The visitor counts what it checked in
 * `progress.checked` (an entry it skips does not use the budget).
 */
export async function continuePass<T>(list: ResumableList<T>, limits: { pageSize: number; budget: number }, progress: PassProgress, visit: (entry: T) => Promise<void>): Promise<void> {
  let cursor = await list.savedCursor();
  do {
    const page = await list.page(Math.min(limits.pageSize, limits.budget - progress.checked), cursor);
    progress.pages++;
    for (const entry of page.entries) await visit(entry);
    cursor = page.cursor;
  } while (cursor !== undefined && progress.checked < limits.budget);
  progress.passComplete = cursor === undefined;
  await list.saveCursor(cursor);
}
