import type { Todo, TodoPatch } from '../api/types.js';

/**
 * Whether `current` (a todo as the API has it) already holds every field `change` sets: the same
 * title, notes (none and empty alike) and state. A 412 with such a todo is not a conflict: this
 * very change reached the API by another way — the save a reload cut short, stored only after
 * the next load had read the todo, or the same change made in another tab.
 */
export function holdsChange(current: Todo, change: TodoPatch): boolean {
  if (change.title != null && current.title !== change.title) return false;
  if (
    change.description !== undefined &&
    (current.description || null) !== (change.description || null)
  )
    return false;
  if (change.completed != null && current.completed !== change.completed) return false;
  return true;
}
