import type { TodoFilter } from '../api/endpoints.js';

const FILTERS: Array<{ value: TodoFilter; label: string }> = [
  { value: 'all', label: 'All' },
  { value: 'open', label: 'Open' },
  { value: 'done', label: 'Done' },
];

/** All / open / done, as a group of toggle buttons. */
export function FilterTabs({
  value,
  onChange,
}: {
  value: TodoFilter;
  onChange: (filter: TodoFilter) => void;
}) {
  return (
    <fieldset className="filters">
      <legend className="visually-hidden">Show</legend>
      {FILTERS.map((filter) => (
        <button
          key={filter.value}
          type="button"
          className="filters__option"
          aria-pressed={value === filter.value}
          onClick={() => onChange(filter.value)}
        >
          {filter.label}
        </button>
      ))}
    </fieldset>
  );
}
