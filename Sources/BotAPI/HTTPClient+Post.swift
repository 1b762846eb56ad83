import AsyncHTTPClient
import NIOCore
import NIOHTTP1

extension HTTPClient {
    /// Sends `request` and returns the answer's status and body (at most `maximumBody` bytes; a
    /// longer one fails), or throws what went wrong on the way.
    ///
    /// Through the event-loop API, not the async one: the async `execute` starts a task of its
    /// own on Swift's global pool for every request (to register it for cancellation), a
    /// wake-up of a pool thread each time. A worker's engine runs on its client's loop, where
    /// this future completes and resumes the caller without a thread switch. Cancelling the
    /// calling task cancels the request.
    package func post(
        _ request: HTTPClient.Request, maximumBody: Int, timeout: Duration
    ) async throws -> (status: UInt, body: ByteBuffer) {
        let call = execute(
            request: request, delegate: ResponseAccumulator(request: request, maxBodySize: maximumBody),
            deadline: .now() + TimeAmount(timeout))
        let response = try await withTaskCancellationHandler {
            try await call.futureResult.get()
        } onCancel: {
            call.cancel()
        }
        return (response.status.code, response.body ?? ByteBuffer())
    }
}
