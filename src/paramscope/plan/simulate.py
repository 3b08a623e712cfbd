"""A discrete-event simulation of one engine replica doing continuous batching (vLLM v1's scheduler shape).

Every step the scheduler gives each running decode sequence one token, then fills the rest of the token
budget (max_num_batched_tokens) with prompt chunks: first the running sequences still in prefill, then
waiting requests admitted in arrival order while fewer than max_num_seqs run and their chunk's KV blocks
are free (chunked prefill). The KV cache holds ``kv_capacity_tokens`` tokens in blocks of ``block_size``;
when a decode step needs a block that is not there, the most recently admitted sequence is preempted and
recomputed later (vLLM's recompute preemption: its prompt and generated tokens are prefilled again).

Step durations come from :class:`paramscope.perf.StepModel.step_s` (the same per-step model as ``perf``
and the planner's vectorized search). Runs of identical pure-decode steps between events (an arrival that
can be admitted, a completion, the KV cache filling) are advanced in one event, their duration evaluated at
the mean context of the run: decode time is linear in the context in each roofline regime, so this is exact
unless the run crosses from memory-bound to compute-bound.

Prompt tokens served from the prefix cache (``prefix_hit``) are not recomputed (the chunk starts after
them) but still occupy KV blocks and are attended to.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass

from ..errors import InputError

BLOCK_WASTE = 0.5  # blocks: on average half of each sequence's last block is empty (uniform lengths mod block)
MAX_EVENTS_PER_REQUEST = 2000  # safety bound: a simulation that needs more events per request is aborted


@dataclass(frozen=True)
class SimResult:
    ttft_s: object  # numpy arrays, one value per completed request (arrival order)
    tpot_s: object  # mean inter-token time per request (NaN for single-token outputs)
    e2e_s: object
    prompt_tokens: object
    gen_tokens: object
    duration_s: float  # first arrival to last completion
    preemptions: int
    steps: int
    events: int
    # inter-token latency over tokens (not requests): each step's duration, weighted by the decode tokens it
    # produced (a request's first token is its TTFT, not an ITL). None where the result was built without it.
    itl_step_s: object = None
    itl_weight: object = None

    def percentile(self, metric: str, p: float) -> float:
        import numpy as np

        if metric == "itl":
            return self.itl_percentile(p)
        x = {"ttft": self.ttft_s, "tpot": self.tpot_s, "e2e": self.e2e_s}[metric]
        x = x[~np.isnan(x)]
        return float(np.percentile(x, p)) if len(x) else 0.0

    def itl_percentile(self, p: float) -> float:
        """The p-th percentile of the gaps between a request's successive tokens, over all such gaps (what
        vLLM's benchmark_serving reports as ITL): the weighted percentile of the step durations (inverted
        CDF: the smallest step time with at least p% of the tokens at or below it). Runs of pure-decode
        steps are advanced as one event at their mean context, so their steps all get the run's mean
        duration."""
        import numpy as np

        if self.itl_step_s is None or not len(self.itl_step_s):
            return 0.0
        x = np.asarray(self.itl_step_s, dtype=float)
        w = np.asarray(self.itl_weight, dtype=float)
        order = np.argsort(x)
        x, w = x[order], w[order]
        cum = np.cumsum(w)
        i = int(np.searchsorted(cum, p / 100.0 * cum[-1], side="left"))
        return float(x[min(i, len(x) - 1)])

    def meets(self, slos) -> object:
        """Boolean array: which requests met every SLO bound (each SLO applied per request)."""
        import numpy as np

        ok = np.ones(len(self.ttft_s), dtype=bool)
        for s in slos:
            x = {"ttft": self.ttft_s, "tpot": self.tpot_s, "e2e": self.e2e_s}[s.metric]
            ok &= np.nan_to_num(x, nan=0.0) <= s.seconds
        return ok

    def summary(self, slos=()) -> dict:
        import numpy as np

        n = len(self.ttft_s)
        span = max(self.duration_s, 1e-12)
        out = {"requests": n, "duration_s": self.duration_s,
               "requests_per_s": n / span,
               "output_tokens_per_s": float(np.sum(self.gen_tokens)) / span,
               "input_tokens_per_s": float(np.sum(self.prompt_tokens)) / span,
               "preemptions": self.preemptions, "steps": self.steps}
        for m in ("ttft", "tpot", "e2e"):
            for p in (50, 90, 99):
                out[f"{m}_p{p}_s"] = self.percentile(m, p)
        if slos:
            out["goodput_requests_per_s"] = float(np.sum(self.meets(slos))) / span
            out["slo_attainment"] = float(np.mean(self.meets(slos))) if n else 0.0
        return out


def arrival_times(n: int, rate: float, *, rng, process: str = "poisson", cv: float = 1.0):
    """n arrival times (s) at ``rate`` requests/s: Poisson (exponential gaps) or gamma gaps with coefficient
    of variation ``cv`` (cv 1 = Poisson; > 1 burstier), as in vLLM's benchmark_serving --burstiness (= 1/cv^2)."""
    import numpy as np

    if rate <= 0 or not math.isfinite(rate):
        raise InputError(f"request rate must be a positive number, got {rate}")
    if process == "poisson":
        gaps = rng.exponential(1.0 / rate, n)
    elif process == "gamma":
        if cv <= 0:
            raise InputError(f"the coefficient of variation of arrival gaps must be > 0, got {cv}")
        shape = 1.0 / cv ** 2
        gaps = rng.gamma(shape, 1.0 / (rate * shape), n)
    else:
        raise InputError(f"unknown arrival process {process!r} (poisson or gamma)")
    return np.cumsum(gaps)


def simulate(sm, *, prompts, gens, max_num_seqs: int, token_budget: int, kv_capacity_tokens: int,
             block_size: int = 16, arrivals=None, concurrency: int | None = None,
             prefix_hit: float = 0.0) -> SimResult:
    """Simulate requests with lengths ``prompts``/``gens`` (sequences of ints) on one replica whose step
    time is ``sm.step_s``. Open loop (``arrivals``: times in seconds, ascending) or closed loop
    (``concurrency`` users, each sending its next request when the previous one completes)."""
    import numpy as np

    n = len(prompts)
    if n != len(gens) or n == 0:
        raise InputError("the simulation needs as many prompt lengths as output lengths, at least one")
    if max_num_seqs < 1 or token_budget < 1:
        raise InputError("max_num_seqs and the token budget must be >= 1")
    if not 0 <= prefix_hit < 1:
        raise InputError(f"prefix-cache hit ratio must be in [0, 1), got {prefix_hit}")
    P = [int(x) for x in prompts]
    G = [int(x) for x in gens]
    longest = max(p + g for p, g in zip(P, G, strict=False))
    if longest + block_size > kv_capacity_tokens:
        raise InputError(f"a request of {longest:,} tokens does not fit in the KV cache of "
                         f"{kv_capacity_tokens:,} tokens")
    cached = [int(p * prefix_hit) for p in P]
    arr = [0.0] * n
    future: list = []  # (time, rid)
    if concurrency is None:
        if arrivals is None or len(arrivals) != n:
            raise InputError("an open-loop simulation needs one arrival time per request")
        arr = [float(a) for a in arrivals]
        nxt = 0  # next rid to arrive (open loop: arrival order = rid order)
        issued = n
    else:
        if concurrency < 1:
            raise InputError(f"concurrency must be >= 1, got {concurrency}")
        nxt = n  # closed loop: arrivals come from `future`
        issued = min(concurrency, n)
        for rid in range(issued):
            heapq.heappush(future, (0.0, rid))
    ttft = [math.nan] * n
    done_t = [math.nan] * n
    waiting: deque = deque()  # rid, or (rid, tokens_to_prefill, gen_left) for a preempted sequence
    prefilling: list = []  # [rid, done, todo_end, gen_left, resumed]
    # decoding sequences, aggregated: seq joined at counter D0 with ctx0 cached tokens and gen_left tokens
    dec: dict = {}  # rid -> (D0, ctx0, finish_D)
    order: list = []  # admission order of running rids (for preemption: the last admitted goes first)
    heap: list = []  # (finish_D, rid)
    sum_base = 0  # sum over decoding seqs of ctx0 - D0; their cached tokens = sum_base + n_dec * D
    pref_tokens_cached = 0  # tokens held by sequences in prefill
    D = 0
    t = 0.0
    steps = events = preempt = 0
    completed = 0
    itl_dt: list = []  # per event: the duration of one of its steps, and the decode tokens its steps produced
    itl_n: list = []
    waste = block_size * BLOCK_WASTE
    limit = MAX_EVENTS_PER_REQUEST * n + 1000

    def kv_used(n_running: int) -> float:
        return sum_base + len(dec) * D + pref_tokens_cached + n_running * waste

    while completed < n:
        events += 1
        if events > limit:
            raise InputError("the simulation did not converge (the KV cache thrashes); give more memory")
        # arrivals up to now
        if concurrency is None:
            while nxt < n and arr[nxt] <= t:
                waiting.append(nxt)
                nxt += 1
        else:
            while future and future[0][0] <= t:
                ta, rid = heapq.heappop(future)
                arr[rid] = ta
                waiting.append(rid)
        n_dec = len(dec)
        if n_dec == 0 and not prefilling and not waiting:
            t = arr[nxt] if concurrency is None else future[0][0]
            continue
        # schedule: decode tokens first, then running prefills, then admissions
        budget = token_budget - n_dec
        chunks = []  # (entry, chunk)
        for e in prefilling:
            if budget <= 0:
                break
            c = min(e[2] - e[1], budget)
            chunks.append((e, c))
            budget -= c
        while waiting and budget > 0 and len(dec) + len(prefilling) < max_num_seqs:
            w = waiting[0]
            if isinstance(w, tuple):
                rid, todo, gleft = w
                start, resumed = 0, True
            else:
                rid, todo, gleft = w, P[w], G[w]
                start, resumed = cached[w], False
            c = min(todo - start, budget)
            # blocks for the prefix held from the cache plus this chunk
            need = (start + c) + waste
            if kv_used(len(dec) + len(prefilling)) + need + n_dec > kv_capacity_tokens:
                break
            waiting.popleft()
            e = [rid, start, todo, gleft, resumed]
            pref_tokens_cached += start
            prefilling.append(e)
            order.append(rid)
            chunks.append((e, c))
            budget -= c
        # KV for this step's decode tokens and chunks; preempt the last admitted while it does not fit
        grow = n_dec + sum(c for _, c in chunks)
        while kv_used(len(dec) + len(prefilling)) + grow > kv_capacity_tokens and order:
            victim = order.pop()
            preempt += 1
            if victim in dec:
                D0, ctx0, fin = dec.pop(victim)
                sum_base -= ctx0 - D0
                tokens = ctx0 + (D - D0)
                waiting.appendleft((victim, tokens, fin - D))
                n_dec -= 1
            else:
                for i, e in enumerate(prefilling):
                    if e[0] == victim:
                        pref_tokens_cached -= e[1]
                        prefilling.pop(i)
                        chunks = [(x, c) for x, c in chunks if x is not e]
                        if e[4]:
                            waiting.appendleft((victim, e[2], e[3]))
                        else:
                            waiting.appendleft(victim)
                        break
            grow = n_dec + sum(c for _, c in chunks)
        if not chunks and n_dec == 0:
            if not waiting:
                continue
            if concurrency is None and nxt >= n and not future:
                raise InputError("a request cannot be scheduled: its prompt does not fit the token budget and "
                                 "KV cache")
            # blocked on memory with nothing running cannot happen (longest request fits); wait for arrivals
            raise InputError("the scheduler stalled with nothing running")
        S = sum_base + n_dec * D
        if not chunks:
            # a run of pure decode steps up to the next event
            while heap and heap[0][1] not in dec:
                heapq.heappop(heap)
            k = (heap[0][0] - D) if heap else 1
            free = kv_capacity_tokens - kv_used(n_dec)
            k = max(1, min(k, int(free // max(1, n_dec))))
            tau0 = sm.step_s(0, 0.0, n_dec, S)
            if waiting and len(dec) + len(prefilling) < max_num_seqs:
                k = 1
            else:
                t_next = (arr[nxt] if nxt < n else math.inf) if concurrency is None else \
                    (future[0][0] if future else math.inf)
                if n_dec + len(prefilling) < max_num_seqs and t_next < math.inf:
                    k = max(1, min(k, math.ceil((t_next - t) / tau0)))
            dt = sm.step_s(0, 0.0, n_dec, S + n_dec * (k - 1) / 2) * k if k > 1 else tau0
            t += dt
            itl_dt.append(dt / k)
            itl_n.append(n_dec * k)
            D += k
            steps += k
        else:
            p_tok = 0
            p_attn = 0.0
            for e, c in chunks:
                p_tok += c
                p_attn += sm.attention_flops(e[1], e[1] + c, 1)
            dt = sm.step_s(p_tok, p_attn, n_dec, S)
            t += dt
            if n_dec:
                itl_dt.append(dt)
                itl_n.append(n_dec)
            D += 1
            steps += 1
            for e, c in chunks:
                e[1] += c
                pref_tokens_cached += c
                if e[1] >= e[2]:  # prefill complete: its next token is sampled at the end of this step
                    rid = e[0]
                    prefilling.remove(e)
                    pref_tokens_cached -= e[1]
                    if not e[4]:
                        ttft[rid] = t - arr[rid]
                    gleft = e[3] - 1
                    if gleft <= 0:
                        done_t[rid] = t
                        completed += 1
                        order.remove(rid)
                        if concurrency is not None and issued < n:
                            heapq.heappush(future, (t, issued))
                            issued += 1
                        continue
                    ctx0 = e[2] + 1
                    dec[rid] = (D, ctx0, D + gleft)
                    sum_base += ctx0 - D
                    heapq.heappush(heap, (D + gleft, rid))
        # completions
        while heap and heap[0][0] <= D:
            f, rid = heapq.heappop(heap)
            if rid not in dec or dec[rid][2] != f:
                continue
            D0, ctx0, _ = dec.pop(rid)
            sum_base -= ctx0 - D0
            order.remove(rid)
            done_t[rid] = t
            completed += 1
            if concurrency is not None and issued < n:
                heapq.heappush(future, (t, issued))
                issued += 1
    front = float(getattr(sm, "request_overhead_s", 0.0))  # the server's front end, once per request (perf.StepModel)
    ttft_a = np.asarray(ttft) + front
    e2e = np.asarray(done_t) - np.asarray(arr) + front
    g = np.asarray(G, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        tpot = np.where(g > 1, (e2e - ttft_a) / (g - 1), np.nan)
    return SimResult(ttft_a, tpot, e2e, np.asarray(P), np.asarray(G), float(np.nanmax(done_t) - min(arr)),
                     preempt, steps, events, np.asarray(itl_dt), np.asarray(itl_n))
