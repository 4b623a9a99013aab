/**
 * A leak-free `AbortSignal.any` for the processes that make MCP calls.
 *
 * Why: the MCP SDK's Streamable HTTP client combines its transport's
 * long-lived signal with a fresh per-request signal on every request
 * (`AbortSignal.any([transportSignal, requestSignal])`). Node 20's native
 * `AbortSignal.any` keeps a WeakRef to every composite in the long-lived
 * source's dependants set and never prunes it (nodejs/node#55351; observed
 * composites still leak on later lines, nodejs/node#64476): about 57 bytes
 * per upstream call that are never returned, five calls per order in the
 * order service. Measured with the heap probe; see issue 13's leak tests.
 *
 * This version (the design Node itself moved to) gives each source one abort
 * listener and a set of the composites following it, held weakly; a
 * composite leaves every set as soon as it aborts or is garbage collected
 * (FinalizationRegistry), so a long-lived source holds nothing once a
 * request is done, and adding or dropping a follower costs O(1). The
 * composite's controller hangs off the composite itself, so the composite
 * aborts as long as anyone can still observe it.
 */
const controllers = new WeakMap<AbortSignal, AbortController>();
/** Per source: the composites following it, held weakly; one abort listener per source, not per composite. */
const followers = new WeakMap<AbortSignal, Set<WeakRef<AbortSignal>>>();
const forgetOnCollect = new FinalizationRegistry<() => void>((forget) => forget());

function followersOf(source: AbortSignal): Set<WeakRef<AbortSignal>> {
  let set = followers.get(source);
  if (!set) {
    const following = (set = new Set());
    followers.set(source, following);
    source.addEventListener(
      'abort',
      () => {
        for (const ref of following) {
          const composite = ref.deref();
          if (composite) controllers.get(composite)?.abort(source.reason);
        }
        following.clear();
      },
      { once: true },
    );
  }
  return set;
}

export function leakFreeAbortSignalAny(signals: Iterable<AbortSignal>): AbortSignal {
  const sources = [...signals];
  const controller = new AbortController();
  const composite = controller.signal;
  for (const source of sources) {
    if (source.aborted) {
      controller.abort(source.reason);
      return composite;
    }
  }
  controllers.set(composite, controller); // the controller lives as long as its signal
  const ref = new WeakRef(composite);
  const sets = sources.map(followersOf);
  for (const set of sets) set.add(ref);
  // Done following once it aborted, or once nobody can observe it any more.
  const forget = () => {
    for (const set of sets) set.delete(ref);
  };
  composite.addEventListener('abort', forget, { once: true });
  forgetOnCollect.register(composite, forget);
  return composite;
}

let installed = false;

/** Replaces the process's `AbortSignal.any` with `leakFreeAbortSignalAny` (once; idempotent). */
export function installLeakFreeAbortSignalAny(): void {
  if (installed) return;
  installed = true;
  Object.defineProperty(AbortSignal, 'any', { value: leakFreeAbortSignalAny, writable: true, configurable: true });
}
