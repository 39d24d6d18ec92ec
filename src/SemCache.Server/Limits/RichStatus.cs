using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace SemCache.Server.Limits;

/// <summary>
/// Errors with <c>google.rpc.Status</c> details next to the plain message: a <c>BadRequest</c> naming
/// the field for InvalidArgument, a <c>QuotaFailure</c> naming the limit for ResourceExhausted, so
/// clients can react without parsing text.
/// </summary>
internal static class RichStatus
{
    public static RpcException InvalidArgument(string field, string message) => new Google.Rpc.Status
    {
        Code = (int)Code.InvalidArgument,
        Message = message,
        Details = { Any.Pack(new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = field, Description = message } } }) },
    }.ToRpcException();

    /// <summary>
    /// The message of an <see cref="ArgumentException"/> without the " (Parameter 'X')" that .NET
    /// appends (the field travels in the BadRequest detail instead).
    /// </summary>
    public static string MessageOf(ArgumentException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var message = e.Message;
        var parameter = e.ParamName is null ? -1 : message.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
        return parameter >= 0 ? message[..parameter] : message;
    }

    public static RpcException ResourceExhausted(string subject, string limit, string message) => new Google.Rpc.Status
    {
        Code = (int)Code.ResourceExhausted,
        Message = message,
        Details = { Any.Pack(new QuotaFailure { Violations = { new QuotaFailure.Types.Violation { Subject = subject, Description = limit + ": " + message } } }) },
    }.ToRpcException();
}
