import Foundation
import Testing
@testable import KWS

/// WAV files a hostile user might hand over: absurd rates, truncated or oversized chunks, too short or too long.
@Suite struct WAVHardeningTests {
    func u16(_ v: Int) -> Data { withUnsafeBytes(of: UInt16(truncatingIfNeeded: v).littleEndian) { Data($0) } }
    func u32(_ v: Int) -> Data { withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian) { Data($0) } }

    /// 16-bit mono PCM written by hand (independent of WAVFile.encode16): `samples` zero samples, with the size
    /// fields overridable.
    func wav(rate: Int = 16000, samples: Int, channels: Int = 1, bits: Int = 16, riffSize: Int? = nil, dataSize: Int? = nil,
             dataBytes: Int? = nil) -> Data {
        let bytes = dataBytes ?? samples * channels * bits / 8
        var d = Data("RIFF".utf8) + u32(riffSize ?? 36 + bytes) + Data("WAVEfmt ".utf8) + u32(16)
        d += u16(1) + u16(channels) + u32(rate) + u32(rate * channels * bits / 8) + u16(channels * bits / 8) + u16(bits)
        d += Data("data".utf8) + u32(dataSize ?? bytes) + Data(count: bytes)
        return d
    }

    func refusal(_ d: Data) -> KWSError? {
        do { _ = try WAVFile.decode(d, file: "x.wav"); return nil } catch let e as KWSError { return e } catch { return nil }
    }

    @Test func aWellFormedFileDecodes() throws {
        let a = try WAVFile.decode(wav(samples: 160), file: "x.wav")
        #expect(a.sampleRate == 16000 && a.samples.count == 160)
        #expect(try WAVFile.decode(wav(rate: 4000, samples: 10), file: "x.wav").sampleRate == 4000)
        #expect(try WAVFile.decode(wav(rate: 192_000, samples: 10), file: "x.wav").sampleRate == 192_000)
    }

    @Test func sampleRatesOutside4kTo192kAreRefused() {
        for rate in [0, 1, 3999, 192_001, 0x7FFF_FFFF] {
            let e = refusal(wav(rate: rate, samples: 10))
            #expect(e?.field == "fmt.sample_rate" && e?.file == "x.wav", "\(rate): \(String(describing: e))")
            #expect(e?.description.contains("x.wav") == true && e?.description.contains("fmt.sample_rate") == true)
        }
    }

    @Test func channelCountsAreBounded() {
        #expect(refusal(wav(samples: 4, channels: 0))?.field == "fmt.channels")
        #expect(refusal(wav(samples: 4, channels: 9))?.field == "fmt.channels")
    }

    @Test func sizeFieldsLargerThanTheFileAreRefused() {
        // a data chunk that claims 2000 bytes with 200 present (the file was cut)
        let cut = refusal(wav(samples: 100, dataSize: 2000))
        #expect(cut?.field == "data.size" && cut?.reason.contains("truncated data chunk") == true, "\(String(describing: cut))")
        // streaming writers' 0xFFFFFFFF placeholders
        #expect(refusal(wav(samples: 100, dataSize: 0xFFFF_FFFF))?.field == "data.size")
        let riff = refusal(wav(samples: 100, riffSize: 0xFFFF_FFF0))
        #expect(riff?.field == "riff.size", "\(String(describing: riff))")
        // an unknown chunk claiming 4 GB before the data
        var junk = Data("RIFF".utf8) + u32(60) + Data("WAVEfmt ".utf8) + u32(16)
        junk += u16(1) + u16(1) + u32(16000) + u32(32000) + u16(2) + u16(16)
        junk += Data("LIST".utf8) + u32(0xFFFF_FFFF) + Data(count: 8)
        #expect(refusal(junk)?.field == "LIST.size")
    }

    @Test func durationIsBounded() {
        // 600 s at 4 kHz 8-bit is the limit; one sample more is refused (2.4 MB in memory)
        let limit = 600 * 4000
        #expect(refusal(wav(rate: 4000, samples: limit, bits: 8)) == nil)
        let e = refusal(wav(rate: 4000, samples: limit + 4000, bits: 8))
        #expect(e?.field == "data.size" && e?.reason.contains("600 s") == true, "\(String(describing: e))")
    }

    @Test func emptyDataIsRefused() {
        #expect(refusal(wav(samples: 0))?.field == "data.size")
        // one byte of 16-bit audio is no sample
        #expect(refusal(wav(samples: 0, dataBytes: 1))?.field == "data.size")
    }
}
