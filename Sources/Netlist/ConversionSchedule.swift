// The phases of one ramp-ADC conversion of the crossbar architecture, shared by the activation bench and the
// crossbar RNN deck.

import Foundation

/// When each phase of conversion j happens (s).
public struct ConversionSchedule: Sendable, Equatable {
    public let technology: CrossbarTechnology
    /// clock periods of the ramp: 2^B − 1
    public let periods: Int
    /// time left after the last hold phase before the read
    public static let readMargin = 20e-9

    public init(technology: CrossbarTechnology, bits: Int) {
        self.technology = technology
        periods = (1 << bits) - 1
    }

    var t: CrossbarTechnology { technology }
    /// length of one conversion
    public var conversionTime: Double {
        t.resetTime + t.edgeTime + t.integrationTime + t.edgeTime + t.settleTime + Double(periods) * t.clockPeriod + ConversionSchedule.readMargin
    }
    public func start(_ j: Int) -> Double { Double(j) * conversionTime }
    /// the input rows start to rise
    public func integrationStart(_ j: Int) -> Double { start(j) + t.resetTime + t.edgeTime }
    /// row_k (k = 0 ... periods − 1) starts to rise in clock period k + 1
    public func pulseStart(_ j: Int, step k: Int) -> Double {
        integrationStart(j) + t.integrationTime + t.edgeTime + t.settleTime + Double(k) * t.clockPeriod
    }
    /// the enable rises at this time (fully high one edge later) and starts to fall at `enableEnd`
    public func enableStart(_ j: Int, step k: Int) -> Double { pulseStart(j, step: k) + t.rampPulseTime + t.edgeTime + t.countDelay }
    public func enableEnd(_ j: Int, step k: Int) -> Double { pulseStart(j, step: k) + t.clockPeriod - t.edgeTime }
    /// where the count of conversion j is read
    public func readTime(_ j: Int) -> Double { start(j + 1) - 0.5 * ConversionSchedule.readMargin }
}
