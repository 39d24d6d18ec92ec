using Google.Protobuf;
using Grpc.Core;

namespace SemCache.Server.Services;

/// <summary>
/// Method descriptors whose request parser turns malformed protobuf into InvalidArgument. The
/// generated descriptors let the parser's exception escape, which gRPC reports as Unknown; a
/// hostile or broken client deserves a status that says its request was at fault.
/// </summary>
internal static class GuardedMethods
{
    public static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string service, string name, MessageParser<TRequest> parser)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse> =>
        new(MethodType.Unary, service, name, RequestMarshaller(parser, name), ResponseMarshaller<TResponse>.Instance);

    private static Marshaller<TRequest> RequestMarshaller<TRequest>(MessageParser<TRequest> parser, string name)
        where TRequest : IMessage<TRequest> =>
        new(
            static (message, context) => Serialize(message, context),
            context =>
            {
                try
                {
                    return parser.ParseFrom(context.PayloadAsReadOnlySequence());
                }
                catch (InvalidProtocolBufferException e)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"the {name} request is not a valid protobuf message: {e.Message}"));
                }
            });

    private static void Serialize<T>(T message, SerializationContext context)
        where T : IMessage<T>
    {
        context.SetPayloadLength(message.CalculateSize());
        message.WriteTo(context.GetBufferWriter());
        context.Complete();
    }

    private static class ResponseMarshaller<T>
        where T : IMessage<T>
    {
        public static readonly Marshaller<T> Instance = new(
            static (message, context) => Serialize(message, context),
            static _ => throw new NotSupportedException("The server never reads responses."));
    }
}
