import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { todoInPlaceOf, undoCountdown } from '../src/todos/undo-window.js';

describe('the undo window’s countdown', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test('runs out after its time when nothing holds it', () => {
    const end = vi.fn();
    undoCountdown(5000, end);
    vi.advanceTimersByTime(4999);
    expect(end).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(end).toHaveBeenCalledOnce();
  });

  test('held, it waits; released, it runs on with the time it had left', () => {
    const end = vi.fn();
    const countdown = undoCountdown(5000, end);
    vi.advanceTimersByTime(1000);
    countdown.hold('keyboard');
    vi.advanceTimersByTime(60_000);
    expect(end).not.toHaveBeenCalled();
    countdown.release('keyboard');
    vi.advanceTimersByTime(3999);
    expect(end).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(end).toHaveBeenCalledOnce();
  });

  test('the pointer leaving does not release a hold the keyboard still has, nor the other way round', () => {
    const end = vi.fn();
    const countdown = undoCountdown(5000, end);
    countdown.hold('keyboard');
    vi.advanceTimersByTime(1000);
    countdown.hold('pointer');
    countdown.release('pointer');
    vi.advanceTimersByTime(60_000);
    expect(end).not.toHaveBeenCalled();

    countdown.hold('pointer');
    countdown.release('keyboard');
    vi.advanceTimersByTime(60_000);
    expect(end).not.toHaveBeenCalled();

    countdown.release('pointer');
    // Held from the start: the whole window is left.
    vi.advanceTimersByTime(4999);
    expect(end).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(end).toHaveBeenCalledOnce();
  });

  test('a release without a hold, or a second release, changes nothing', () => {
    const end = vi.fn();
    const countdown = undoCountdown(5000, end);
    countdown.release('keyboard');
    vi.advanceTimersByTime(2000);
    countdown.hold('pointer');
    countdown.release('pointer');
    countdown.release('pointer');
    vi.advanceTimersByTime(2999);
    expect(end).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(end).toHaveBeenCalledOnce();
  });

  test('stopped, it never runs out, held or released', () => {
    const end = vi.fn();
    const countdown = undoCountdown(5000, end);
    countdown.hold('keyboard');
    countdown.stop();
    countdown.release('keyboard');
    vi.advanceTimersByTime(60_000);
    expect(end).not.toHaveBeenCalled();
  });
});

describe('the todo that takes a deleted one’s place', () => {
  const ids = ['a', 'b', 'c', 'd'];
  test('the next one shown, else the one before', () => {
    expect(todoInPlaceOf(ids, 'b', new Set(['b']))).toBe('c');
    expect(todoInPlaceOf(ids, 'b', new Set(['b', 'c']))).toBe('d');
    expect(todoInPlaceOf(ids, 'd', new Set(['d']))).toBe('c');
    expect(todoInPlaceOf(ids, 'c', new Set(['c', 'd', 'b']))).toBe('a');
  });
  test('none when no other is shown, or the todo is not in the list', () => {
    expect(todoInPlaceOf(['a'], 'a', new Set(['a']))).toBeUndefined();
    expect(todoInPlaceOf(ids, 'a', new Set(ids))).toBeUndefined();
    expect(todoInPlaceOf(ids, 'z', new Set())).toBeUndefined();
  });
});
