using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using SemCache.Server.Hosting;

namespace SemCache.Server.Auth;

/// <summary>
/// Every semcache.v1 call passes here: authenticate the key, check the method's role, then turn
/// whatever the engine throws into a proper status so that no request can crash the process or
/// leak internals. Health and reflection stay open for probes and tooling.
/// </summary>
internal sealed partial class ServerCallInterceptor(ApiKeyStore keys, GrpcRateLimiting rateLimiting, ServerMetrics metrics, ILogger<ServerCallInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request,
        ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        // One lookup of the method per call: its role and its metric tags come from the number.
        var method = MethodIndex.Of(context.Method);
        if (method == MethodIndex.Unknown && !context.Method.StartsWith("/semcache.", StringComparison.Ordinal))
        {
            return await continuation(request, context);
        }

        var started = Stopwatch.GetTimestamp();
        var status = StatusCode.OK;
        try
        {
            Authorize(context, request, method);
            return await continuation(request, context);
        }
        catch (RpcException e)
        {
            status = e.StatusCode;
            throw;
        }
        catch (SemCache.Storage.StoreFaultedException)
        {
            // Disk full or an I/O error: the write was not made durable and was not acknowledged.
            // Retrying elsewhere or later is right; the path and device details stay in the log.
            status = StatusCode.Unavailable;
            throw new RpcException(new Status(StatusCode.Unavailable, "the store is faulted after a failed write (see /healthz and the server log): writes are refused until restart; reads are served"));
        }
        catch (SemCache.Cluster.ClusterUnavailableException e)
        {
            // Too few silos alive to make a write durable on the configured replicas: nothing was
            // acknowledged, and the same call succeeds once the cluster has recovered.
            status = StatusCode.Unavailable;
            throw new RpcException(new Status(StatusCode.Unavailable, e.Message));
        }
        catch (ArgumentException e)
        {
            // The engine's validator names the field in ParamName; it becomes the BadRequest field.
            status = StatusCode.InvalidArgument;
            throw SemCache.Server.Limits.RichStatus.InvalidArgument(e.ParamName ?? "request", SemCache.Server.Limits.RichStatus.MessageOf(e));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            status = StatusCode.Cancelled;
            throw new RpcException(new Status(StatusCode.Cancelled, "the call was cancelled"));
        }
        catch (Exception e)
        {
            // Anything else is our fault: log it, answer Internal without details, keep serving.
            status = StatusCode.Internal;
            LogUnexpected(logger, e, context.Method);
            throw new RpcException(new Status(StatusCode.Internal, "internal error; the server log has the details"));
        }
        finally
        {
            metrics.RecordCall(method, status, Stopwatch.GetElapsedTime(started));
        }
    }

    private void Authorize(ServerCallContext context, object request, int method)
    {
        // The request's own header collection: ServerCallContext.RequestHeaders builds a Metadata copy of
        // every header on each call just to read this one.
        var key = ApiKeyHeader.Read(context.GetHttpContext().Request.Headers);
        if (key is null)
        {
            rateLimiting.Charge(null, 1);
            throw new RpcException(new Status(StatusCode.Unauthenticated, "missing API key: send 'authorization: Bearer <key>'"));
        }

        if (!keys.TryAuthenticate(key, out var identity))
        {
            rateLimiting.Charge(null, 1);
            throw new RpcException(new Status(StatusCode.Unauthenticated, "invalid or revoked API key"));
        }

        rateLimiting.Charge(identity.KeyId, GrpcRateLimiting.CostOf(request));

        if (method == MethodIndex.Unknown)
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, "unknown method"));
        }

        var required = MethodIndex.RoleOf(method);
        if (!identity.Role.Allows(required))
        {
            throw new RpcException(new Status(
                StatusCode.PermissionDenied,
                $"the key's role '{identity.Role.Name()}' may not call {context.Method}; it needs '{required.Name()}'"));
        }

        context.SetIdentity(identity);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected error in {Method}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method);
}
