using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace SemCache.Embeddings.Onnx.Tests;

public sealed class ExecutionProviderSelectorTests
{
    private sealed class FakeProbe(bool present) : ICudaProbe
    {
        public int Calls { get; private set; }

        public bool IsCudaAvailable(out string reason)
        {
            Calls++;
            reason = present ? "simulated GPU" : "simulated: no NVIDIA driver";
            return present;
        }
    }

    private static Func<OnnxExecutionProvider, string> Factory(List<OnnxExecutionProvider> attempts, bool cudaFails = false) => provider =>
    {
        attempts.Add(provider);
        if (provider == OnnxExecutionProvider.Cuda && cudaFails)
        {
            throw new InvalidOperationException("simulated: libcublasLt.so.13 not found");
        }

        return "session on " + provider;
    };

    [Fact]
    public void Auto_uses_cuda_when_the_probe_finds_it()
    {
        var attempts = new List<OnnxExecutionProvider>();
        var (session, provider) = ExecutionProviderSelector.Select(OnnxExecutionProvider.Auto, new FakeProbe(true), Factory(attempts), new FakeLogger());

        Assert.Equal(OnnxExecutionProvider.Cuda, provider);
        Assert.Equal("session on Cuda", session);
        Assert.Equal([OnnxExecutionProvider.Cuda], attempts);
    }

    [Fact]
    public void Auto_uses_the_cpu_when_cuda_is_absent_and_says_why()
    {
        var attempts = new List<OnnxExecutionProvider>();
        var logger = new FakeLogger();
        var (_, provider) = ExecutionProviderSelector.Select(OnnxExecutionProvider.Auto, new FakeProbe(false), Factory(attempts), logger);

        Assert.Equal(OnnxExecutionProvider.Cpu, provider);
        Assert.Equal([OnnxExecutionProvider.Cpu], attempts);
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Message.Contains("no NVIDIA driver", StringComparison.Ordinal));
    }

    [Fact]
    public void Auto_falls_back_to_the_cpu_with_a_warning_when_the_cuda_session_fails()
    {
        var attempts = new List<OnnxExecutionProvider>();
        var logger = new FakeLogger();
        var (session, provider) = ExecutionProviderSelector.Select(OnnxExecutionProvider.Auto, new FakeProbe(true), Factory(attempts, cudaFails: true), logger);

        Assert.Equal(OnnxExecutionProvider.Cpu, provider);
        Assert.Equal("session on Cpu", session);
        Assert.Equal([OnnxExecutionProvider.Cuda, OnnxExecutionProvider.Cpu], attempts);
        var warning = Assert.Single(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("libcublasLt", warning.Exception?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configured_cuda_that_fails_to_start_is_an_error_not_a_fallback()
    {
        var attempts = new List<OnnxExecutionProvider>();
        var error = Assert.Throws<InvalidOperationException>(() =>
            ExecutionProviderSelector.Select(OnnxExecutionProvider.Cuda, new FakeProbe(true), Factory(attempts, cudaFails: true), new FakeLogger()));

        Assert.Contains("Provider", error.Message, StringComparison.Ordinal);
        Assert.Equal([OnnxExecutionProvider.Cuda], attempts);
    }

    [Fact]
    public void Configured_cuda_on_a_machine_without_it_is_an_error()
    {
        var attempts = new List<OnnxExecutionProvider>();
        var error = Assert.Throws<InvalidOperationException>(() =>
            ExecutionProviderSelector.Select(OnnxExecutionProvider.Cuda, new FakeProbe(false), Factory(attempts), new FakeLogger()));

        Assert.Contains("no NVIDIA driver", error.Message, StringComparison.Ordinal);
        Assert.Empty(attempts);
    }

    [Fact]
    public void Configured_cpu_never_probes_for_cuda()
    {
        var probe = new FakeProbe(true);
        var attempts = new List<OnnxExecutionProvider>();
        var (_, provider) = ExecutionProviderSelector.Select(OnnxExecutionProvider.Cpu, probe, Factory(attempts), new FakeLogger());

        Assert.Equal(OnnxExecutionProvider.Cpu, provider);
        Assert.Equal(0, probe.Calls);
    }

    [Fact]
    public void The_real_probe_on_this_machine_gives_a_reason_either_way()
    {
        var available = NativeCudaProbe.Instance.IsCudaAvailable(out var reason);

        Assert.False(string.IsNullOrWhiteSpace(reason));
        Assert.Equal(available, reason.Contains("present", StringComparison.Ordinal));
    }
}
