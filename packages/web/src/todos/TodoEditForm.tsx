import { isTooLong, LengthCounter, NotesInput, TITLE_MAX } from './TitleCounter.js';
import type { TodoEdit } from './use-todo-edit.js';

/** The inline edit form of a todo: title and notes with their counters, Save and Cancel. */
export function TodoEditForm({ id, edit }: { id: string; edit: TodoEdit }) {
  const { title, description } = edit;
  return (
    <form className="todo__edit" onSubmit={edit.save} onKeyDown={edit.onKeyDown}>
      <label htmlFor={`${id}-title`} className="label">
        Title
      </label>
      <input
        ref={edit.editRef}
        id={`${id}-title`}
        className="input"
        value={title.value}
        dir="auto"
        required
        aria-describedby={`${id}-title-count`}
        aria-invalid={isTooLong(title.value, TITLE_MAX) || undefined}
        onChange={(event) => title.set(event.target.value)}
      />
      <LengthCounter id={`${id}-title-count`} text={title.value} max={TITLE_MAX} />
      <label htmlFor={`${id}-description`} className="label">
        Notes
      </label>
      <NotesInput id={id} notes={description} />
      <div className="todo__edit-actions">
        <button type="submit" className="button button--primary">
          Save
        </button>
        <button type="button" className="button" onClick={edit.stop}>
          Cancel
        </button>
      </div>
    </form>
  );
}
