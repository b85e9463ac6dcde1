import { fireEvent, screen } from '@testing-library/react';
import { describe, expect, test } from 'vitest';
import { TodosScreen } from '../src/todos/TodosScreen.js';
import { freshPageEachTest } from './support/fresh-page.js';
import { renderWithApi } from './support/render.js';

const api = freshPageEachTest();

describe('right-to-left and direction marks in todo text', () => {
  test('titles and notes take their own direction, isolated from the text around them', async () => {
    api.seed(1, () => ({ title: 'לקנות חלב\u202e', description: 'שאלה: מה?' }));
    renderWithApi(<TodosScreen />, api.url);
    const title = await screen.findByText('לקנות חלב\u202e');
    expect(title.getAttribute('dir')).toBe('auto');
    expect(screen.getByText('שאלה: מה?').getAttribute('dir')).toBe('auto');
    expect(screen.getByLabelText('New todo').getAttribute('dir')).toBe('auto');

    // The button's accessible name gives the title without the override (UTS #55).
    expect(screen.getByRole('button', { name: 'Edit “לקנות חלב”' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Delete “לקנות חלב”' }));
    const toastTitle = await screen.findByText('לקנות חלב\u202e', { selector: 'strong' });
    expect(toastTitle.getAttribute('dir')).toBe('auto');
  });
});
