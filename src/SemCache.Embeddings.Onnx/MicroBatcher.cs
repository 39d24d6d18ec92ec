using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace SemCache.Embeddings.Onnx;

/// <summary>The vector of one request and what the encoder reported about its input.</summary>
internal readonly record struct BatchItemResult(ReadOnlyMemory<float> Vector, EncodedInfo Info);

/// <summary>
/// Coalesces single texts from concurrent callers into batches on one dedicated thread.
/// A batch closes when it is full, when it holds as many requests as the previous batch did
/// (steady concurrency: no waiting once everyone is in), or when its first request has waited
/// the configured maximum. Admission is bounded by pending-request slots; a cancelled request
/// gives its slot back at once and never fails the others of its batch.
/// </summary>
internal sealed class MicroBatcher : IDisposable
{
    private readonly IBatchEncoder _encoder;
    private readonly int _maxBatch;
    private readonly long _maxWaitTicks;
    private readonly EmbedderCounters _counters;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<Request> _queue = new();
    private readonly SemaphoreSlim _queued = new(0);
    private readonly SemaphoreSlim _slots;
    private readonly Thread _worker;
    private volatile bool _stopping;

    public MicroBatcher(IBatchEncoder encoder, int maxBatch, int maxWaitMicroseconds, int maxPending, EmbedderCounters counters, ILogger logger)
    {
        _encoder = encoder;
        _maxBatch = maxBatch;
        _maxWaitTicks = maxWaitMicroseconds * Stopwatch.Frequency / 1_000_000;
        _counters = counters;
        _logger = logger;
        _slots = new SemaphoreSlim(maxPending, maxPending);
        _worker = new Thread(Run) { IsBackground = true, Name = "semcache-embedding-batcher" };
        _worker.Start();
    }

    /// <summary>Free pending-request slots (for tests and stats).</summary>
    public int FreeSlots => _slots.CurrentCount;

    public async Task<BatchItemResult> EnqueueAsync(string text, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        if (!_slots.Wait(0, CancellationToken.None))
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var request = new Request(text, this);
        Interlocked.Increment(ref _counters.Requests);
        if (cancellationToken.CanBeCanceled)
        {
            request.Registration = cancellationToken.UnsafeRegister(static (state, token) => ((Request)state!).Cancel(token), request);
        }

        _queue.Enqueue(request);
        _queued.Release();
        if (_stopping)
        {
            request.Fail(new ObjectDisposedException(nameof(MicroBatcher)));
        }

        return await request.Task.ConfigureAwait(false);
    }

    private void Run()
    {
        var batch = new List<Request>(_maxBatch);
        var texts = new List<string>(_maxBatch);
        var expected = 1;
        while (true)
        {
            _queued.Wait();
            if (_stopping)
            {
                break;
            }

            Gather(batch, expected);
            texts.Clear();
            var live = 0;
            for (var i = 0; i < batch.Count; i++)
            {
                // Requests cancelled while queued already gave their slot back; drop them.
                if (!batch[i].Task.IsCompleted)
                {
                    batch[live++] = batch[i];
                    texts.Add(batch[i].Text);
                }
            }

            batch.RemoveRange(live, batch.Count - live);
            if (live > 0)
            {
                expected = live;
                Execute(batch, texts);
            }

            batch.Clear();
        }

        while (_queue.TryDequeue(out var left))
        {
            left.Fail(new ObjectDisposedException(nameof(MicroBatcher)));
        }
    }

    /// <summary>Takes the first request (already signalled) and whatever follows within the rules.</summary>
    private void Gather(List<Request> batch, int expected)
    {
        var started = Stopwatch.GetTimestamp();
        Take(batch);
        var spinner = default(SpinWait);
        while (batch.Count < _maxBatch && !_stopping)
        {
            if (_queued.Wait(0))
            {
                Take(batch);
                continue;
            }

            if (batch.Count >= expected)
            {
                return;
            }

            var remaining = _maxWaitTicks - (Stopwatch.GetTimestamp() - started);
            if (remaining <= 0)
            {
                return;
            }

            // Block when the wait is long enough for the OS timer; spin politely for the last stretch.
            var remainingMs = remaining * 1000 / Stopwatch.Frequency;
            if (remainingMs >= 2)
            {
                if (_queued.Wait((int)(remainingMs - 1)))
                {
                    Take(batch);
                }
            }
            else
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }
        }
    }

    private void Take(List<Request> batch)
    {
        if (_queue.TryDequeue(out var request))
        {
            batch.Add(request);
        }
    }

    private void Execute(List<Request> batch, List<string> texts)
    {
        var count = batch.Count;
        var dims = _encoder.Dimensions;
        var vectors = new float[count * dims];
        var info = new EncodedInfo[count];
        _counters.RecordBatch(count);
        try
        {
            _encoder.Encode(texts, vectors, info);
        }
        catch (Exception ex)
        {
            Log.BatchFailed(_logger, count, ex);
            foreach (var request in batch)
            {
                request.Fail(ex);
            }

            return;
        }

        _counters.RecordEncoded(info);
        for (var i = 0; i < count; i++)
        {
            batch[i].Complete(new BatchItemResult(vectors.AsMemory(i * dims, dims), info[i]));
        }
    }

    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _queued.Release();
        _worker.Join();
    }

    private sealed class Request(string text, MicroBatcher owner)
    {
        private readonly TaskCompletionSource<BatchItemResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Text { get; } = text;

        public CancellationTokenRegistration Registration { get; set; }

        public Task<BatchItemResult> Task => _completion.Task;

        public void Complete(BatchItemResult result)
        {
            if (_completion.TrySetResult(result))
            {
                Finish();
            }
        }

        public void Fail(Exception exception)
        {
            if (_completion.TrySetException(exception))
            {
                Finish();
            }
        }

        public void Cancel(CancellationToken token)
        {
            if (_completion.TrySetCanceled(token))
            {
                Interlocked.Increment(ref owner._counters.Cancelled);
                owner._slots.Release();
            }
        }

        private void Finish()
        {
            Registration.Dispose();
            owner._slots.Release();
        }
    }
}
