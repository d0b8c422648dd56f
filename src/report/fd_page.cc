// The page of `faultline fd`: the trade-off curve of each detector (detection
// time against false suspicions per hour, settings joined in sweep order, the
// knee in red) drawn with the scatter chart the scenario pages use for the
// timeout group, and the table the terminal printed.
#include <fmt/format.h>

#include "report/charts.h"
#include "report/html.h"
#include "report/report.h"

namespace faultline::report {

namespace {

const char* kColours[] = {"#1565c0", "#6a1b9a", "#2e7d32", "#ef6c00"};

}  // namespace

Result<std::string> write_fd_report(const std::string& dir, const Json& result) {
    std::vector<ScatterPoint> points;
    std::string tables;
    std::size_t index = 0;
    for (const Json& curve : result.value("curves", Json::array())) {
        const std::string detector = curve.value("detector", "");
        const std::string param = curve.value("param", "");
        const Json knee = curve.value("knee", Json());
        const char* colour = kColours[index++ % std::size(kColours)];
        tables += fmt::format(
            "<h3>{}{}</h3><table class=\"grid\"><tr><th>setting</th><th>mean detection time</th>"
            "<th>false suspicions per hour</th><th>messages per second</th><th>crashes "
            "detected / missed</th><th></th></tr>",
            escape(detector), param.empty() ? "" : " — " + escape(param));
        for (const Json& point : curve.value("points", Json::array())) {
            const std::string setting = point.value("setting", "");
            const bool is_knee = knee.is_string() && knee.get<std::string>() == setting;
            const double detection = point.value("detection_s", 0.0);
            const double mistakes = point.value("false_suspicions_per_hour", 0.0);
            points.push_back(ScatterPoint{mistakes, detection,
                                          param.empty() ? detector : setting + (is_knee ? " (knee)" : ""),
                                          is_knee ? "#c62828" : colour, param.empty() ? "" : detector});
            tables += fmt::format(
                "<tr><td>{}</td><td class=\"num\">{:.2f} s</td><td class=\"num\">{:.2f}</td><td "
                "class=\"num\">{:.2f}</td><td class=\"num\">{} / {}</td><td>{}</td></tr>",
                escape(setting), detection, mistakes, point.value("msgs_per_second", 0.0),
                point.value("crashes_detected", 0), point.value("crashes_missed", 0), is_knee ? "<b>knee</b>" : "");
        }
        tables += "</table>";
    }
    std::string body = fmt::format(
        "<p>Latency {}, loss {}, faults {} on the watched node ({} pauses and {} crashes per hour on average), "
        "seeds {}, {} runs in {:.1f} s.</p>",
        escape(result.value("latency", "")), result.value("loss", 0.0), escape(result.value("nemesis", "")),
        result.value("pauses_per_hour", 0.0), result.value("crashes_per_hour", 0.0), escape(result.value("seeds", "")),
        result.value("runs", 0), result.value("wall_seconds", 0.0));
    body +=
        "<section id=\"curve\"><h2>Detection time against false suspicions</h2><p class=\"muted\">Each point is "
        "one setting, averaged over the seeds; lower left is better. The knee is the setting farthest from "
        "the chord between the curve's ends, both axes scaled to their range.</p>" +
        scatter_chart("Detection time against false suspicions", "false suspicions per hour", "mean detection time (s)",
                      points, 760, 380) +
        "</section>\n<section id=\"table\"><h2>The settings</h2>" + tables + "</section>\n";
    const std::string path = dir + "/report.html";
    std::string error;
    if (!write_page(path, page("faultline fd", body), error)) return make_error(ErrorCode::io_error, error);
    return path;
}

}  // namespace faultline::report
