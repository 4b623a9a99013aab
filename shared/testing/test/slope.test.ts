import fc from 'fast-check';
import { slope } from '../src/heap';

/**
 * The leak tests and the soak decide on this fit: bytes kept per call are
 * the least-squares slope of the heap over the calls made.
 */
describe('slope (least-squares fit of the leak tests and the soak)', () => {
  it('recovers the slope of points on a line, whatever its offset', () => {
    fc.assert(
      fc.property(fc.double({ min: -1000, max: 1000, noNaN: true }), fc.double({ min: -1e8, max: 1e8, noNaN: true }), (perCall, offset) => {
        const xs = [250, 500, 750, 1000, 1250, 1500, 1750, 2000];
        expect(slope(xs, xs.map((x) => offset + perCall * x))).toBeCloseTo(perCall, 6);
      }),
    );
  });

  it('is not moved by noise that does not grow with the calls', () => {
    // A flat heap read with ±400 KB alternating around it: no growth.
    const xs = [1, 2, 3, 4, 5, 6, 7, 8].map((k) => k * 2000);
    const flat = xs.map((_, k) => 40e6 + (k % 2 === 0 ? 400e3 : -400e3));
    expect(Math.abs(slope(xs, flat))).toBeLessThan(20); // the alternation alone fits at -19 B/call
    // The same noise on a real leak of 300 B/call still reads near 300.
    const leaking = flat.map((y, k) => y + 300 * xs[k]);
    expect(slope(xs, leaking)).toBeGreaterThan(270);
    expect(slope(xs, leaking)).toBeLessThan(330);
  });

  it('answers 0 when every reading is at the same point, and a falling heap as negative', () => {
    expect(slope([5, 5, 5], [1, 2, 3])).toBe(0);
    expect(slope([1, 2, 3, 4], [40, 30, 20, 10])).toBeCloseTo(-10, 9);
  });
});
