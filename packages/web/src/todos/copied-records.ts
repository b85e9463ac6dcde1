import { settleDraft } from '../drafts/use-draft.js';
import { pageLoadsOpenElsewhere } from '../sync/page-load.js';
import { forgetAdd, leftAdds, returnAdd } from './add-in-flight.js';
import { leaveDeletesTo } from './delete-in-flight.js';
import { leaveEditsTo } from './edit-in-flight.js';

/**
 * In a duplicated tab, leaves to the tab it was copied from what that tab still has under way
 * (`src/sync/page-load.ts`): run once at start, before any screen reads the records or drafts.
 *
 * - A delete in its undo window: not sent from here (the other tab sends it, or its Undo takes
 *   it back).
 * - An add waiting for its answer: not sent again from here, and its text leaves this tab's
 *   field as it left the other tab's; the other tab says what became of it.
 * - An add its tab could not settle yet (an outage) and will send again at its next load: not
 *   sent from here either, but adding the same text here still goes with its key, so it is
 *   stored once whichever tab gets through.
 * - An edit waiting for its answer: its form stays closed here, as it is there.
 */
export async function leaveCopiedRecords(): Promise<void> {
  const open = await pageLoadsOpenElsewhere();
  if (open.size === 0) return;
  leaveDeletesTo(open);
  leaveEditsTo(open);
  for (const record of leftAdds()) {
    if (!open.has(record.page)) continue;
    if (record.state === 'unknown') {
      returnAdd(record.key);
      continue;
    }
    forgetAdd(record.key);
    settleDraft('new.title', record.typed.title);
    settleDraft('new.description', record.typed.description);
  }
}
