/**
 * pprof's dotColor (spec §9.4): red for positive shares, green for negative ones (diff profiles), grey
 * near zero. Background colours are the same hue, pale.
 */
export function dotColor(score: number, background: boolean): string {
  let saturation = background ? 0.1 : 1.0;
  const value = background ? 0.93 : 0.7;
  score = Math.max(-1, Math.min(1, score));
  if (Math.abs(score) < 0.2) saturation *= Math.abs(score) / 0.2;
  if (score > 0) score = Math.pow(score, 0.3);
  if (score < 0) score = -Math.pow(-score, 0.3);
  let r: number;
  let g: number;
  if (score < 0) {
    g = value;
    r = value * (1 + saturation * score);
  } else {
    r = value;
    g = value * (1 - saturation * score);
  }
  const b = value * (1 - saturation);
  return '#' + [r, g, b].map((c) => toByte(c * 255).toString(16).padStart(2, '0')).join('');
}

/** Go's uint8(float64): truncation toward zero. */
function toByte(x: number): number {
  return Math.trunc(x) & 0xff;
}
