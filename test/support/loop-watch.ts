/**
 * Runs `work` while a 10 ms timer measures the event loop: the longest stall between ticks and how many
 * ticks ran (a blocked loop shows as a long gap and few ticks).
 */
export async function withLoopWatch<T>(work: () => Promise<T>): Promise<{ value: T; worstGap: number; ticks: number }> {
  let worstGap = 0;
  let ticks = 0;
  let last = Date.now();
  const ticker = setInterval(() => {
    const now = Date.now();
    worstGap = Math.max(worstGap, now - last);
    last = now;
    ticks++;
  }, 10);
  try {
    const value = await work();
    return { value, worstGap, ticks };
  } finally {
    clearInterval(ticker);
  }
}
