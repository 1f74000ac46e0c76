// Calibration tables per corner and temperature, by file name in one folder (models/calibration):
//   <corner>.json            the 27 °C table
//   <corner>-<T>C.json       the table measured at T °C (T an integer; negative as "minus": typical-minus20C.json)
// A deck at temperature T uses the table of the nearest temperature (ties: the lower one), so a folder with
// only the 27 °C tables behaves as before. `CalibrationFile.load` checks that a table's recorded temperature is
// the one its name says.

import Foundation

public enum CalibrationTables {
    /// The file name of the table of `corner` at `temperature` °C (rounded to an integer).
    public static func fileName(corner: Corner, temperature: Double) -> String {
        let t = Int(temperature.rounded())
        if t == 27 { return corner.rawValue + ".json" }
        return corner.rawValue + "-" + (t < 0 ? "minus\(-t)" : "\(t)") + "C.json"
    }

    /// The temperature a file name says, for `corner` (nil: not a table of that corner).
    public static func temperature(fileName name: String, corner: Corner) -> Double? {
        if name == corner.rawValue + ".json" { return 27 }
        let prefix = corner.rawValue + "-", suffix = "C.json"
        guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count > prefix.count + suffix.count else { return nil }
        var body = String(name.dropFirst(prefix.count).dropLast(suffix.count))
        var sign = 1
        if body.hasPrefix("minus") { sign = -1; body.removeFirst(5) }
        guard !body.isEmpty, body.allSatisfy(\.isASCII), body.allSatisfy(\.isNumber), let v = Int(body), v <= 1000 else { return nil }
        let t = Double(sign * v)
        return t == 27 ? nil : t   // 27 °C is <corner>.json
    }

    /// The tables of `corner` in `folder`, by temperature.
    public static func available(in folder: String, corner: Corner) -> [(temperature: Double, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.compactMap { n in temperature(fileName: n, corner: corner).map { ($0, folder + "/" + n) } }
            .sorted { $0.temperature < $1.temperature }
    }

    /// The table of `corner` nearest to `temperature` in `folder` (ties: the lower temperature); nil: none.
    public static func nearest(in folder: String, corner: Corner, temperature: Double) -> String? {
        available(in: folder, corner: corner).min { a, b in
            let da = abs(a.temperature - temperature), db = abs(b.temperature - temperature)
            return da != db ? da < db : a.temperature < b.temperature
        }?.path
    }
}
