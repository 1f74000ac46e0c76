import Foundation
import Testing
@testable import BMRUModel

@Suite struct StimulusTests {
    @Test func seededGeneratorMatchesAnIndependentImplementation() {
        // first outputs of SplitMix64-seeded xoshiro256**, computed with a separate Python
        // implementation of the published algorithms (SplitMix64(0) starts with 0xE220A8397B1DCDAF)
        var g0 = SeededGenerator(seed: 0)
        #expect([g0.next(), g0.next(), g0.next()] == [0x99ec5f36cb75f2b4, 0xbf6e1f784956452a, 0x1a5f849d4933e6e0])
        var g42 = SeededGenerator(seed: 42)
        #expect([g42.next(), g42.next(), g42.next()] == [0x15780b2e0c2ec716, 0x6104d9866d113a7e, 0xae17533239e499a1])
        var gmax = SeededGenerator(seed: .max)
        #expect(gmax.next() == 0x8f5520d52a7ead08)
    }

    @Test func unitDoublesAndBoundedIntsStayInRange() {
        var g = SeededGenerator(seed: 5)
        var counts = [Int](repeating: 0, count: 3)
        for _ in 0..<3000 {
            let d = g.nextUnitDouble()
            #expect(d >= 0 && d < 1)
            counts[g.nextInt(below: 3)] += 1
        }
        #expect(counts.allSatisfy { $0 > 850 && $0 < 1150 })  // ~1000 each; 5 sigma is ~130
    }

    @Test func randomStimulusIsReproducibleWithTheRequestedDensity() {
        let a = StimulusFile.random(inputs: 8, frames: 500, seed: 9, density: 0.25)
        let b = StimulusFile.random(inputs: 8, frames: 500, seed: 9, density: 0.25)
        let c = StimulusFile.random(inputs: 8, frames: 500, seed: 10, density: 0.25)
        #expect(a == b)
        #expect(a != c)
        let values = a.frames.flatMap { $0 }
        let zeros = values.filter { $0 == 0 }.count
        #expect(values.count == 4000)
        #expect(zeros > 850 && zeros < 1150)  // 1000 expected, sd ~27
        #expect(values.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(StimulusFile.random(inputs: 3, frames: 50, seed: 1, density: 1).frames.flatMap { $0 }.allSatisfy { $0 == 0 })
    }

    @Test func csvRoundTripsExactly() throws {
        // ±1000 units (StimulusFile.maxMagnitude) is the largest input a file may hold
        let s = Stimulus(frames: [[0.1, -2.5e-7, 1.0 / 3.0], [0, 999.9999999999999, -0.0], [1000, -1000, 5e-324]], inputs: 3)
        let text = StimulusFile.csv(s)
        #expect(text.hasPrefix("x0,x1,x2\n"))
        let back = try StimulusFile.parse(Data(text.utf8), file: "s.csv", inputs: 3)
        #expect(back == s)
    }

    @Test func frameIndexColumnAndCRLFAreAccepted() throws {
        let s = try StimulusFile.parse(Data("frame,a,b\r\n0,1.5,-2\r\n1, 3 ,4\r\n".utf8), file: "s.csv", inputs: nil)
        #expect(s.inputs == 2)
        #expect(s.frames == [[1.5, -2], [3, 4]])
    }
}
