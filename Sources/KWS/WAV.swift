// Reading and writing RIFF/WAVE PCM audio without crashing on bad input.
import BMRUModel
import Foundation

/// Decoded audio: mono or interleaved samples scaled to [-1, 1].
public struct Audio: Sendable, Equatable {
    public var sampleRate: Int
    public var channels: Int
    /// interleaved when channels > 1
    public var samples: [Float]
    public var frameCount: Int { channels == 0 ? 0 : samples.count / channels }

    public init(sampleRate: Int, channels: Int, samples: [Float]) {
        self.sampleRate = sampleRate; self.channels = channels; self.samples = samples
    }
}

public enum WAVFile {
    /// Sample rates accepted, Hz: telephone-band 4 kHz up to studio 192 kHz. Outside, a rate is a damaged
    /// header (1 Hz would make the resampler to 16 kHz write 16000 samples per input sample).
    public static let sampleRates = 4_000...192_000
    /// Channels accepted (`fmt.channels`).
    public static let maxChannels = 8
    /// Longest clip accepted, s (the keyword clips are 1 s; 600 s of features is 60 001 frames).
    public static let maxSeconds = 600.0
    /// Largest file read, bytes (600 s of 16-bit stereo at 96 kHz is 230 MB).
    public static let maxFileBytes = 256 << 20

    /// Reads a WAV file. Accepts PCM 8/16/24/32-bit integer and 32/64-bit float.
    public static func read(path: String) throws -> Audio {
        let data: Data
        do { data = try InputFile.read(path, limit: maxFileBytes) } catch let e as FormatError {
            throw KWSError(e.kind == .limit ? .badAudio : .io, file: path, reason: e.reason)
        }
        return try decode(data, file: path)
    }

    /// Decodes WAV bytes. Every problem is a `KWSError(.badAudio)` naming the file, the field
    /// (`riff.size`, `fmt.sample_rate`, `data.size`, ...) and the reason. Chunk sizes must fit in the file
    /// (a truncated data chunk is refused, not read up to the end of the file).
    public static func decode(_ data: Data, file: String) throws -> Audio {
        let bytes = [UInt8](data)
        func bad(_ reason: String, _ field: String = "") -> KWSError {
            KWSError(.badAudio, file: file, field: field, reason: reason)
        }
        func u16(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        if bytes.isEmpty { throw bad("empty file") }
        guard bytes.count >= 12 else { throw bad("truncated header (\(bytes.count) bytes)") }
        guard bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8) else {
            throw bad("not a RIFF/WAVE file")
        }
        var offset = 12
        var format: (tag: Int, channels: Int, rate: Int, bits: Int)?
        var payload: ArraySlice<UInt8>?
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let name = id.trimmingCharacters(in: .whitespaces).unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value < 0x7F })
                ? id.trimmingCharacters(in: .whitespaces) : "chunk@\(offset)"
            let size = u32(offset + 4)
            let start = offset + 8
            if id == "fmt " {
                guard size >= 16, start + 16 <= bytes.count else { throw bad("truncated fmt chunk", "fmt.size") }
            }
            guard start + size <= bytes.count else {
                throw bad("\(id == "data" ? "truncated data chunk: " : "")the size field claims \(size) bytes, the file has \(bytes.count - start) after the chunk header", "\(name).size")
            }
            let end = start + size
            if id == "fmt " {
                var tag = u16(start)
                if tag == 0xFFFE, size >= 40 { tag = u16(start + 24) } // extensible
                format = (tag, u16(start + 2), u32(start + 4), u16(start + 14))
            } else if id == "data" {
                guard payload == nil else { throw bad("a second data chunk", "data") }
                payload = bytes[start..<end]
            }
            // chunks are padded to even sizes (a missing pad byte after the last chunk is tolerated)
            offset = start + size + (size & 1)
        }
        if offset < bytes.count && bytes.count - offset < 8 && offset + 1 != bytes.count {
            throw bad("\(bytes.count - offset) stray bytes after the last chunk (a truncated chunk header)", "riff")
        }
        let riffSize = u32(4)
        guard riffSize + 8 <= bytes.count + 1 else {
            throw bad("the size field claims \(riffSize) bytes, the file has \(bytes.count - 8) after the RIFF header", "riff.size")
        }
        guard let fmt = format else { throw bad("truncated header: no fmt chunk", "fmt") }
        guard let pcm = payload else { throw bad("no data chunk", "data") }
        guard (1...maxChannels).contains(fmt.channels) else {
            throw bad("channel count \(fmt.channels), expected 1 ... \(maxChannels)", "fmt.channels")
        }
        guard sampleRates.contains(fmt.rate) else {
            throw bad("sample rate \(fmt.rate) Hz, outside \(sampleRates.lowerBound) ... \(sampleRates.upperBound) Hz", "fmt.sample_rate")
        }
        let bytesPer: Int
        switch (fmt.tag, fmt.bits) {
        case (1, 8): bytesPer = 1
        case (1, 16): bytesPer = 2
        case (1, 24): bytesPer = 3
        case (1, 32), (3, 32): bytesPer = 4
        case (3, 64): bytesPer = 8
        default: throw bad("unsupported encoding (format tag \(fmt.tag), \(fmt.bits) bits)", fmt.tag == 1 || fmt.tag == 3 ? "fmt.bits_per_sample" : "fmt.format_tag")
        }
        let count = pcm.count / bytesPer / fmt.channels * fmt.channels
        if count == 0 { throw bad("empty: no samples", "data.size") }
        let seconds = Double(count / fmt.channels) / Double(fmt.rate)
        guard seconds <= maxSeconds else {
            throw bad("\(Int(seconds)) s of audio, more than the limit of \(Int(maxSeconds)) s", "data.size")
        }
        var out = [Float](repeating: 0, count: count)
        let base = pcm.startIndex
        for i in 0..<count {
            let o = base + i * bytesPer
            switch (fmt.tag, bytesPer) {
            case (1, 1): out[i] = (Float(bytes[o]) - 128) / 128
            case (1, 2): out[i] = Float(Int16(bitPattern: UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8)) / 32768
            case (1, 3):
                let v = Int32(bitPattern: UInt32(bytes[o]) << 8 | UInt32(bytes[o + 1]) << 16 | UInt32(bytes[o + 2]) << 24)
                out[i] = Float(v >> 8) / 8_388_608
            case (1, 4):
                let v = Int32(bitPattern: UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8
                    | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)
                out[i] = Float(Double(v) / 2_147_483_648)
            case (3, 4):
                let v = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
                out[i] = Float(bitPattern: v)
            default:
                var v: UInt64 = 0
                for k in 0..<8 { v |= UInt64(bytes[o + k]) << (8 * UInt64(k)) }
                out[i] = Float(Double(bitPattern: v))
            }
            if !out[i].isFinite { throw bad("non-finite sample at index \(i)", "data") }
        }
        return Audio(sampleRate: fmt.rate, channels: fmt.channels, samples: out)
    }

    /// Encodes mono samples as 16-bit PCM WAV (samples clipped to [-1, 1]).
    public static func encode16(samples: [Float], sampleRate: Int) -> Data {
        var d = Data()
        func put32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { d.append(contentsOf: $0) } }
        func put16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { d.append(contentsOf: $0) } }
        let dataBytes = samples.count * 2
        d.append(contentsOf: Array("RIFF".utf8)); put32(36 + dataBytes); d.append(contentsOf: Array("WAVE".utf8))
        d.append(contentsOf: Array("fmt ".utf8)); put32(16); put16(1); put16(1)
        put32(sampleRate); put32(sampleRate * 2); put16(2); put16(16)
        d.append(contentsOf: Array("data".utf8)); put32(dataBytes)
        d.reserveCapacity(44 + dataBytes)
        for s in samples {
            let v = Int16((max(-1, min(1, Double(s))) * 32767).rounded())
            put16(Int(UInt16(bitPattern: v)))
        }
        return d
    }

    /// Writes a 16-bit mono WAV atomically (temp file + rename).
    public static func write16(samples: [Float], sampleRate: Int, path: String) throws {
        try FileIO.writeAtomically(encode16(samples: samples, sampleRate: sampleRate), to: path)
    }
}

enum FileIO {
    /// write to a temporary file next to the target, then rename over it
    static func writeAtomically(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let tmp = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try data.write(to: tmp)
            // rename(2) replaces an existing file atomically (FileManager.replaceItemAt failed on a relative path)
            guard rename(tmp.path, url.path) == 0 else {
                throw KWSError(.io, file: path, reason: "cannot write: \(String(cString: strerror(errno)))")
            }
        } catch let e as KWSError {
            try? FileManager.default.removeItem(at: tmp)
            throw e
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw KWSError(.io, file: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}
