using Microsoft.Extensions.Logging;

namespace SemCache.Gpu;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Batch similarity runs on {Accelerator}: {Reason}")]
    public static partial void AcceleratorChosen(ILogger logger, string accelerator, string reason);

    [LoggerMessage(2, LogLevel.Warning, "A matrix of {Bytes} bytes does not fit under the device bound of {MaxBytes} bytes; it is scored on the CPU")]
    public static partial void TooLargeForDevice(ILogger logger, long bytes, long maxBytes);
}
