using System.Collections.Concurrent;
using FASTER.core;

namespace SemCache.Storage;

using Session = ClientSession<SpanByte, SpanByte, SpanByte, SpanByteAndMemory, Empty, SpanByteFunctions<Empty>>;

/// <summary>
/// Pool of FASTER sessions. A session is used by one caller at a time and always returned with no
/// pending operation, so an idle pooled session is never epoch-protected and never holds back a
/// checkpoint (FASTER fast-forwards inactive sessions through the checkpoint state machine).
/// </summary>
internal sealed class SessionPool : IDisposable
{
    private readonly FasterKV<SpanByte, SpanByte> _store;
    private readonly SpanByteFunctions<Empty> _functions = new();
    private readonly ConcurrentBag<Session> _idle = [];
    private readonly ConcurrentBag<Session> _all = [];

    public SessionPool(FasterKV<SpanByte, SpanByte> store) => _store = store;

    public Session Rent()
    {
        if (_idle.TryTake(out var session))
            return session;
        session = _store.For(_functions).NewSession<SpanByteFunctions<Empty>>();
        _all.Add(session);
        return session;
    }

    public void Return(Session session) => _idle.Add(session);

    public void Dispose()
    {
        foreach (var session in _all)
            session.Dispose();
    }
}
