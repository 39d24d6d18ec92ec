using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace SemCache.Embeddings.Onnx;

/// <summary>Answers whether a CUDA session is worth trying; a seam so tests can simulate either machine.</summary>
internal interface ICudaProbe
{
    bool IsCudaAvailable(out string reason);
}

/// <summary>
/// CUDA is worth trying when the NVIDIA driver library loads and this ONNX Runtime build has the
/// CUDA provider. Whether the CUDA runtime libraries (cuBLAS, cuDNN) are present is only known
/// by creating a session, which the selector does next.
/// </summary>
internal sealed class NativeCudaProbe : ICudaProbe
{
    public static readonly NativeCudaProbe Instance = new();

    public bool IsCudaAvailable(out string reason)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsWindows())
        {
            reason = "CUDA is only supported on Linux and Windows";
            return false;
        }

        var driver = OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1";
        if (!NativeLibrary.TryLoad(driver, out var handle))
        {
            reason = $"no NVIDIA driver ({driver} not found)";
            return false;
        }

        NativeLibrary.Free(handle);
        if (!OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider"))
        {
            reason = "this ONNX Runtime build has no CUDA execution provider";
            return false;
        }

        reason = "NVIDIA driver and CUDA execution provider present";
        return true;
    }
}
