// Output slots filled by the threads of one `DispatchQueue.concurrentPerform`: each thread writes only its own
// indices, and the buffer outlives the call, so sharing it across threads is safe (Swift 6 cannot see that).

public struct ParallelSlots<Element>: @unchecked Sendable {
    public let buffer: UnsafeMutableBufferPointer<Element>
    public init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }
    public subscript(i: Int) -> Element {
        get { buffer[i] }
        nonmutating set { buffer[i] = newValue }
    }
}
