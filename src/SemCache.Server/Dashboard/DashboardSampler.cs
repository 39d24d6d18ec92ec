namespace SemCache.Server.Dashboard;

/// <summary>Takes the periodic samples behind the hit-rate-over-time chart.</summary>
internal sealed class DashboardSampler(DashboardRecorder recorder, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        recorder.Sample();
        using var timer = new PeriodicTimer(recorder.SampleInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                recorder.Sample();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
