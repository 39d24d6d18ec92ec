using Grpc.Core;

namespace SemCache.Server.Auth;

internal sealed partial class ServerCallInterceptor
{
    /// <summary>
    /// Client streams (KV events) pass the same key, role and error handling as unary calls: the stream is the
    /// "request" of the unary path, read by the handler after authorisation.
    /// </summary>
    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context,
        ClientStreamingServerMethod<TRequest, TResponse> continuation) =>
        UnaryServerHandler<IAsyncStreamReader<TRequest>, TResponse>(requestStream, context, (stream, call) => continuation(stream, call));
}
