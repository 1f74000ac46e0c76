import Foundation

/// A PNG file decoded for tests that look at a screenshot: 8-bit greyscale, RGB, grey + alpha or RGBA,
/// not interlaced (what a browser's screenshot is). The zlib stream is inflated here (RFC 1950/1951), so a
/// test needs no image library.
public struct PNGImage {
    public let width: Int
    public let height: Int
    /// bytes per pixel: 1 (grey), 2 (grey, alpha), 3 (RGB) or 4 (RGBA)
    public let channels: Int
    /// row-major, `channels` bytes per pixel
    public let pixels: [UInt8]

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Width and height from the IHDR chunk, checking the signature and that IHDR comes first.
    public static func dimensions(_ data: Data) throws -> (width: Int, height: Int) {
        let b = [UInt8](data.prefix(33))
        guard b.count >= 33, Array(b[0..<8]) == signature else { throw Invalid(description: "not a PNG file (signature)") }
        guard Array(b[12..<16]) == Array("IHDR".utf8) else { throw Invalid(description: "the first chunk is not IHDR") }
        return (Int(be32(b, 16)), Int(be32(b, 20)))
    }

    static func be32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    public init(_ data: Data) throws {
        let b = [UInt8](data)
        let (w, h) = try Self.dimensions(data)
        var pos = 8
        var idat: [UInt8] = []
        var depth = 0, colourType = -1, interlace = 0
        while pos + 12 <= b.count {
            let n = Int(Self.be32(b, pos)), type = String(decoding: b[(pos + 4)..<(pos + 8)], as: UTF8.self)
            guard pos + 12 + n <= b.count else { throw Invalid(description: "chunk \(type) runs past the end of the file") }
            let body = b[(pos + 8)..<(pos + 8 + n)]
            if type == "IHDR" {
                depth = Int(body[body.startIndex + 8]); colourType = Int(body[body.startIndex + 9]); interlace = Int(body[body.startIndex + 12])
            } else if type == "IDAT" {
                idat += body
            } else if type == "IEND" {
                break
            }
            pos += 12 + n
        }
        let channelsByType = [0: 1, 2: 3, 4: 2, 6: 4]
        guard depth == 8, let ch = channelsByType[colourType], interlace == 0 else {
            throw Invalid(description: "unsupported PNG: bit depth \(depth), colour type \(colourType), interlace \(interlace)")
        }
        guard w > 0, h > 0, w <= 20000, h <= 20000 else { throw Invalid(description: "implausible size \(w)×\(h)") }
        let raw = try Inflate.zlib(idat, expected: h * (1 + w * ch))
        guard raw.count == h * (1 + w * ch) else {
            throw Invalid(description: "image data has \(raw.count) bytes, \(w)×\(h)×\(ch) needs \(h * (1 + w * ch))")
        }
        // undo the per-row filters (None, Sub, Up, Average, Paeth)
        let stride = w * ch
        var out = [UInt8](repeating: 0, count: h * stride)
        for y in 0..<h {
            let filter = raw[y * (stride + 1)], src = y * (stride + 1) + 1, row = y * stride
            for x in 0..<stride {
                let a = x >= ch ? Int(out[row + x - ch]) : 0
                let up = y > 0 ? Int(out[row - stride + x]) : 0
                let c = (x >= ch && y > 0) ? Int(out[row - stride + x - ch]) : 0
                let v = Int(raw[src + x])
                let predicted: Int
                switch filter {
                case 0: predicted = 0
                case 1: predicted = a
                case 2: predicted = up
                case 3: predicted = (a + up) / 2
                case 4:
                    let p = a + up - c, pa = abs(p - a), pb = abs(p - up), pc = abs(p - c)
                    predicted = pa <= pb && pa <= pc ? a : (pb <= pc ? up : c)
                default: throw Invalid(description: "row \(y): unknown filter \(filter)")
                }
                out[row + x] = UInt8((v + predicted) & 0xFF)
            }
        }
        width = w; height = h; channels = ch; pixels = out
    }

    /// The colour at (x, y) as 0xRRGGBB (alpha ignored; grey repeated).
    public func rgb(_ x: Int, _ y: Int) -> Int {
        let i = (y * width + x) * channels
        if channels <= 2 { let g = Int(pixels[i]); return g << 16 | g << 8 | g }
        return Int(pixels[i]) << 16 | Int(pixels[i + 1]) << 8 | Int(pixels[i + 2])
    }

    /// How many pixels of each colour, over every `step`-th pixel of every `step`-th row.
    public func histogram(step: Int = 1) -> [Int: Int] {
        var counts: [Int: Int] = [:]
        for y in Swift.stride(from: 0, to: height, by: max(step, 1)) {
            for x in Swift.stride(from: 0, to: width, by: max(step, 1)) { counts[rgb(x, y), default: 0] += 1 }
        }
        return counts
    }
}

/// DEFLATE decoding (RFC 1951) inside a zlib wrapper (RFC 1950, Adler-32 checked), after the canonical
/// Huffman decoding of zlib's puff.c.
enum Inflate {
    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int] = []

        init(lengths: [Int]) throws {
            for l in lengths { counts[l] += 1 }
            counts[0] = 0
            var offsets = [Int](repeating: 0, count: 16)
            for l in 1..<15 { offsets[l + 1] = offsets[l] + counts[l] }
            symbols = [Int](repeating: 0, count: lengths.count)
            for (s, l) in lengths.enumerated() where l != 0 {
                symbols[offsets[l]] = s
                offsets[l] += 1
            }
        }
    }

    struct Bits {
        let input: [UInt8]
        var pos: Int
        var buffer = 0, count = 0

        mutating func take(_ n: Int) throws -> Int {
            while count < n {
                guard pos < input.count else { throw PNGImage.Invalid(description: "compressed data ends early") }
                buffer |= Int(input[pos]) << count
                pos += 1; count += 8
            }
            let v = buffer & ((1 << n) - 1)
            buffer >>= n; count -= n
            return v
        }

        mutating func decode(_ h: Huffman) throws -> Int {
            var code = 0, first = 0, index = 0
            for l in 1...15 {
                code |= try take(1)
                let n = h.counts[l]
                if code - n < first { return h.symbols[index + code - first] }
                index += n; first += n
                first <<= 1; code <<= 1
            }
            throw PNGImage.Invalid(description: "invalid Huffman code")
        }
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                               4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    static func zlib(_ data: [UInt8], expected: Int) throws -> [UInt8] {
        guard data.count >= 6, data[0] & 0x0F == 8, (Int(data[0]) << 8 | Int(data[1])) % 31 == 0, data[1] & 0x20 == 0 else {
            throw PNGImage.Invalid(description: "not a zlib stream")
        }
        var bits = Bits(input: data, pos: 2)
        var out: [UInt8] = []
        out.reserveCapacity(expected)
        var last = 0
        repeat {
            last = try bits.take(1)
            switch try bits.take(2) {
            case 0:
                // to the byte boundary: drop the partial byte, give back the whole bytes read ahead
                bits.pos -= bits.count / 8; bits.buffer = 0; bits.count = 0
                guard bits.pos + 4 <= data.count else { throw PNGImage.Invalid(description: "stored block header cut off") }
                let n = Int(data[bits.pos]) | Int(data[bits.pos + 1]) << 8
                let nc = Int(data[bits.pos + 2]) | Int(data[bits.pos + 3]) << 8
                guard n == ~nc & 0xFFFF, bits.pos + 4 + n <= data.count else { throw PNGImage.Invalid(description: "bad stored block") }
                out += data[(bits.pos + 4)..<(bits.pos + 4 + n)]
                bits.pos += 4 + n
            case 1:
                let lit = try Huffman(lengths: (0..<288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 })
                let dist = try Huffman(lengths: [Int](repeating: 5, count: 30))
                try block(&bits, &out, lit, dist)
            case 2:
                let nlen = try bits.take(5) + 257, ndist = try bits.take(5) + 1, ncode = try bits.take(4) + 4
                var codeLengths = [Int](repeating: 0, count: 19)
                for i in 0..<ncode { codeLengths[codeLengthOrder[i]] = try bits.take(3) }
                let lencode = try Huffman(lengths: codeLengths)
                var lengths: [Int] = []
                while lengths.count < nlen + ndist {
                    let sym = try bits.decode(lencode)
                    switch sym {
                    case 0..<16: lengths.append(sym)
                    case 16:
                        guard let prev = lengths.last else { throw PNGImage.Invalid(description: "repeat with no length") }
                        lengths += [Int](repeating: prev, count: 3 + (try bits.take(2)))
                    case 17: lengths += [Int](repeating: 0, count: 3 + (try bits.take(3)))
                    default: lengths += [Int](repeating: 0, count: 11 + (try bits.take(7)))
                    }
                }
                guard lengths.count == nlen + ndist else { throw PNGImage.Invalid(description: "too many code lengths") }
                try block(&bits, &out, try Huffman(lengths: Array(lengths[0..<nlen])), try Huffman(lengths: Array(lengths[nlen...])))
            default:
                throw PNGImage.Invalid(description: "invalid block type")
            }
        } while last == 0
        // Adler-32 of the output, after the last block (byte aligned)
        let end = bits.pos - bits.count / 8
        guard end + 4 <= data.count else { throw PNGImage.Invalid(description: "the Adler-32 check is missing") }
        var s1 = 1, s2 = 0
        for byte in out { s1 = (s1 + Int(byte)) % 65521; s2 = (s2 + s1) % 65521 }
        let stored = Int(data[end]) << 24 | Int(data[end + 1]) << 16 | Int(data[end + 2]) << 8 | Int(data[end + 3])
        guard stored == s2 << 16 | s1 else { throw PNGImage.Invalid(description: "Adler-32 mismatch") }
        return out
    }

    static func block(_ bits: inout Bits, _ out: inout [UInt8], _ lit: Huffman, _ dist: Huffman) throws {
        while true {
            let sym = try bits.decode(lit)
            if sym < 256 { out.append(UInt8(sym)); continue }
            if sym == 256 { return }
            let li = sym - 257
            guard li < lengthBase.count else { throw PNGImage.Invalid(description: "invalid length symbol") }
            let length = lengthBase[li] + (try bits.take(lengthExtra[li]))
            let di = try bits.decode(dist)
            guard di < distanceBase.count else { throw PNGImage.Invalid(description: "invalid distance symbol") }
            let distance = distanceBase[di] + (try bits.take(distanceExtra[di]))
            guard distance <= out.count else { throw PNGImage.Invalid(description: "distance too far back") }
            let start = out.count - distance
            for k in 0..<length { out.append(out[start + k]) }
        }
    }
}
