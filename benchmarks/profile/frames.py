#!/usr/bin/env python3
"""Frames of a dotnet-trace sampled-thread-time profile (speedscope JSON, from profile-*.sh).

  frames.py top FILE [N]             top frames, exclusive and inclusive, as shares of the active samples
  frames.py callers FILE PATTERN...  the call chains above frames whose name contains a pattern
  frames.py server FILE...           the server table of benchmarks/README.md (inclusive shares), one column per file
  frames.py lookup FILE...           the in-process exact-hit table (shares of the engine's LookupAsync)

Thread time samples every managed thread, waiting or not: samples whose innermost frame is a wait (thread
pool idle, monitors, semaphores, socket polling) are dropped, and what remains is "active". Native frames
the runtime cannot name show as '?!?' (mostly system calls under the socket event loop)."""
import collections, json, re, sys

IDLE = re.compile(r'WaitNative|Monitor\.Wait|WaitOneNoCheck|WaitForSignal|Sys\.Read|Thread\.Join|WaitForSocketEvents|Sleep'
                  r'|PollGC|LowLevelLifoSemaphore\.Wait|SpinWait|ReleaseSemaphore|ManualResetEventSlim\.Wait|SemaphoreSlim\.Wait')
PSEUDO = {'CPU_TIME', 'UNMANAGED_CODE_TIME'}

SERVER = [
    ("gRPC unary call handler (HandleCallAsync)", "UnaryServerCallHandler`3+<HandleCallAsync"),
    ("  SemCache interceptor (incl. service)", "ServerCallInterceptor+<UnaryServerHandler>"),
    ("    ServerCallInterceptor.Authorize", "ServerCallInterceptor.Authorize"),
    ("    SemanticCacheService.Lookup", "SemanticCacheService+<Lookup>"),
    ("      RequestLimits.Check", "RequestLimits.Check("),
    ("      engine LookupAsync", "SemanticCache+<LookupAsync>"),
    ("        exact key SHA-256 (ScopeKeys.ExactHash)", "ScopeKeys.ExactHash"),
    ("        partition key SHA-256 (ScopeKeys.PartitionKey)", "ScopeKeys.PartitionKey"),
    ("        FASTER reads (FasterEntryStore.Read)", "FasterEntryStore.Read("),
    ("        flat scan of the partition (HnswGraph.ScanFlatBatched)", "ScanFlatBatched"),
    ("        CostLedger.RecordLookup", "CostLedger.RecordLookup"),
    ("      DashboardRecorder.RecordLookup", "DashboardRecorder.RecordLookup"),
    ("      proto mapping (ProtoMapping)", "ProtoMapping."),
    ("  metrics SDK (OpenTelemetry aggregation)", "OpenTelemetry!"),
    ("socket sends (Socket.SendAsync)", "Socket.SendAsync"),
    ("socket receives (Socket.ReceiveAsync)", "Socket.ReceiveAsync"),
    ("hosting diagnostics / log scopes", "HostingApplicationDiagnostics"),
    ("lock contention (Monitor.Enter_Slowpath)", "Monitor.Enter_Slowpath"),
    ("unnamed native frames ('?!?')", "?!?"),
]

LOOKUP = [
    ("engine LookupAsync (100 %)", "SemanticCache+<LookupAsync>"),
    ("  ValidateLookup", "SemanticCache.ValidateLookup"),
    ("  exact key SHA-256 (ScopeKeys.ExactHash)", "ScopeKeys.ExactHash"),
    ("  exact-id cache key, XXH3 (ScopeKeys.ExactCacheKey)", "ScopeKeys.ExactCacheKey"),
    ("  NormalizePrompt", "ScopeKeys.NormalizePrompt"),
    ("  exact-key read (FasterEntryStore.TryGetExact)", "FasterEntryStore.TryGetExact"),
    ("  entry read and compare (FasterEntryStore.TryServe)", "FasterEntryStore.TryServe"),
    ("  FASTER reads, both kinds (FasterEntryStore.Read)", "FasterEntryStore.Read("),
    ("  value parse + XXH3 checksum (EntryRecordCodec.TryParse)", "EntryRecordCodec.TryParse"),
    ("  stored fields compare (IsSameExactEntry)", "SemanticCache.IsSameExactEntry"),
    ("  CostLedger.RecordLookup", "CostLedger.RecordLookup"),
]


def load(path):
    d = json.load(open(path))
    frames = [f['name'] for f in d['shared']['frames']]
    stacks = collections.Counter()
    for p in d['profiles']:
        st, last = [], None
        for e in p['events']:
            if last is not None and st:
                stacks[tuple(st)] += e['at'] - last
            last = e['at']
            if e['type'] == 'O':
                st.append(e['frame'])
            elif st and st[-1] == e['frame']:
                st.pop()
            elif e['frame'] in st:
                st = st[:len(st) - 1 - st[::-1].index(e['frame'])]
    active = collections.Counter()
    for s, w in stacks.items():
        r = s[:-1] if frames[s[-1]] in PSEUDO else s
        top = frames[r[-1]] if r else ''
        if not r or IDLE.search(top) or top.startswith('Thread (') or top.endswith('EventLoop()'):
            continue
        active[r] += w
    return frames, stacks, active


def share(frames, active, pattern, within=None):
    base = sum(w for s, w in active.items() if within is None or any(within in frames[i] for i in s))
    part = sum(w for s, w in active.items()
               if any(pattern in frames[i] for i in s) and (within is None or any(within in frames[i] for i in s)))
    return part / base if base else 0.0


def table(rows, files, within=None, digits=1):
    data = [load(f) for f in files]
    print("| frame | " + " | ".join(files) + " |")
    print("| --- |" + " ---: |" * len(files))
    for name, pattern in rows:
        print(f"| {name} | " + " | ".join(f"{share(fr, act, pattern, within):.{digits}%}" for fr, _, act in data) + " |")


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ''
    if cmd == 'top':
        frames, stacks, active = load(argv[2])
        n = int(argv[3]) if len(argv) > 3 else 30
        total = sum(active.values())
        print(f"active: {total / sum(stacks.values()):.1%} of the sampled thread time")
        exc, inc = collections.Counter(), collections.Counter()
        for s, w in active.items():
            exc[frames[s[-1]]] += w
            for f in set(s):
                inc[frames[f]] += w
        print("-- exclusive"); [print(f"{v / total:6.1%}  {k[:120]}") for k, v in exc.most_common(n)]
        print("-- inclusive"); [print(f"{v / total:6.1%}  {k[:120]}") for k, v in inc.most_common(n)]
    elif cmd == 'callers':
        frames, stacks, _ = load(argv[2])
        total = sum(stacks.values())
        chains = collections.Counter()
        for s, w in stacks.items():
            names = [frames[i] for i in s]
            for i in range(len(names) - 1, -1, -1):
                if any(p in names[i] for p in argv[3:]):
                    chains[' <- '.join(n[:70] for n in names[max(0, i - 8):i + 1][::-1])] += w
                    break
        for k, v in chains.most_common(8):
            print(f"{v / total:.2%} {k}\n")
    elif cmd == 'server':
        table(SERVER, argv[2:])
    elif cmd == 'lookup':
        table(LOOKUP, argv[2:], within="SemanticCache+<LookupAsync>", digits=0)
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
