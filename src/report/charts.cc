#include "report/charts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "report/html.h"

namespace faultline::report {

namespace {

constexpr const char* kOk = "#2e7d32";
constexpr const char* kFail = "#c62828";
constexpr const char* kInfo = "#ef6c00";

// The plot area inside a chart's margins, and its scales.
struct Frame {
    int width = 0;
    int height = 0;
    double left = 56, right = 12, top = 22, bottom = 30;
    double x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;
    bool y_log = false;

    double plot_width() const { return width - left - right; }
    double plot_height() const { return height - top - bottom; }
    double x(double value) const { return left + (value - x_lo) / std::max(1e-300, x_hi - x_lo) * plot_width(); }
    double y(double value) const {
        if (y_log) {
            const double lo = std::log10(y_lo), hi = std::log10(y_hi);
            return top + (1 - (std::log10(std::max(value, y_lo)) - lo) / std::max(1e-300, hi - lo)) * plot_height();
        }
        return top + (1 - (value - y_lo) / std::max(1e-300, y_hi - y_lo)) * plot_height();
    }
};

double nice_step(double span, double ticks) {
    const double raw = span / std::max(1.0, ticks);
    const double power = std::pow(10, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
        if (m * power >= raw) return m * power;
    }
    return 10 * power;
}

std::string number(double value) {
    if (std::abs(value) >= 1000) return fmt::format("{:.0f}", value);
    if (std::abs(value) >= 10) return fmt::format("{:.3g}", value);
    return fmt::format("{:.3g}", value);
}

std::string open_svg(const Frame& frame, const std::string& label) {
    return fmt::format(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} "
        "{1}\" "
        "role=\"img\" aria-label=\"{2}\">\n",
        frame.width, frame.height, escape(label));
}

// Axes, grid lines and tick labels; `x_label` and `y_label` name the units.
std::string axes(const Frame& frame, const std::string& title, const std::string& x_label, const std::string& y_label) {
    std::string out;
    out += fmt::format("<text class=\"title\" x=\"{}\" y=\"14\">{}</text>\n", frame.left, escape(title));
    const double x_step = nice_step(frame.x_hi - frame.x_lo, frame.plot_width() / 90);
    for (double v = std::ceil(frame.x_lo / x_step) * x_step; v <= frame.x_hi + x_step * 1e-9; v += x_step) {
        const double x = frame.x(v);
        out += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#eceff1\"/>", x,
                           frame.top, frame.height - frame.bottom);
        out += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", x,
                           frame.height - frame.bottom + 13, number(v));
    }
    if (frame.y_log) {
        for (double v = std::pow(10, std::ceil(std::log10(frame.y_lo))); v <= frame.y_hi * 1.0001; v *= 10) {
            const double y = frame.y(v);
            out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#eceff1\"/>", frame.left,
                               frame.width - frame.right, y, y);
            out += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", frame.left - 4, y + 4,
                               number(v));
        }
    } else {
        const double y_step = nice_step(frame.y_hi - frame.y_lo, frame.plot_height() / 40);
        for (double v = std::ceil(frame.y_lo / y_step) * y_step; v <= frame.y_hi + y_step * 1e-9; v += y_step) {
            const double y = frame.y(v);
            out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#eceff1\"/>", frame.left,
                               frame.width - frame.right, y, y);
            out += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", frame.left - 4, y + 4,
                               number(v));
        }
    }
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#b0bec5\"/>\n",
                       frame.left, frame.top, frame.plot_width(), frame.plot_height());
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", frame.width - frame.right,
                       frame.height - 2, escape(x_label));
    out += fmt::format("<text x=\"4\" y=\"{}\">{}</text>\n", frame.top - 6 + 0, "");
    out += fmt::format("<text x=\"{}\" y=\"{}\" transform=\"rotate(-90 {} {})\" text-anchor=\"middle\">{}</text>\n", 12,
                       frame.top + frame.plot_height() / 2, 12, frame.top + frame.plot_height() / 2, escape(y_label));
    return out;
}

// The run's fault periods as shaded bands, each titled with what it was.
std::string fault_shading(const Frame& frame, const RunData& run) {
    std::string out;
    for (const FaultBand& band : fault_bands(run)) {
        const double x0 = std::max(frame.left, frame.x(to_seconds(band.from)));
        const double x1 = std::min(frame.width - frame.right, frame.x(to_seconds(band.to)));
        if (x1 <= x0) continue;
        out += fmt::format(
            "<rect class=\"fault\" x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"><title>{}</title>"
            "</rect>\n",
            x0, frame.top, std::max(1.0, x1 - x0), frame.plot_height(),
            band.lanes.empty() ? "rgba(239,108,0,0.10)" : "rgba(198,40,40,0.08)", escape(band.label));
    }
    return out;
}

std::string legend(const Frame& frame, const std::vector<std::pair<std::string, std::string>>& entries) {
    std::string out;
    double x = frame.width - frame.right - 80.0 * static_cast<double>(entries.size());
    for (const auto& [name, colour] : entries) {
        out += fmt::format("<rect x=\"{:.0f}\" y=\"6\" width=\"10\" height=\"10\" fill=\"{}\"/>", x, colour);
        out += fmt::format("<text x=\"{:.0f}\" y=\"15\">{}</text>\n", x + 14, escape(name));
        x += 80;
    }
    return out;
}

const char* outcome_colour(check::OpType type) {
    switch (type) {
        case check::OpType::ok:
            return kOk;
        case check::OpType::fail:
            return kFail;
        default:
            return kInfo;
    }
}

}  // namespace

std::string latency_chart(const RunData& run, int width, int height) {
    Frame frame;
    frame.width = width;
    frame.height = height;
    frame.x_hi = std::max(1e-3, to_seconds(run.end));
    frame.y_log = true;
    double lo = 1e300, hi = 0;
    for (const ClientOp& op : run.ops) {
        const double ms = std::max(1e-3, to_milliseconds(op.completed - op.invoked));
        lo = std::min(lo, ms);
        hi = std::max(hi, ms);
    }
    if (hi <= 0) {
        lo = 0.1;
        hi = 1000;
    }
    frame.y_lo = std::pow(10, std::floor(std::log10(lo)));
    frame.y_hi = std::pow(10, std::ceil(std::log10(hi * 1.01)));
    std::string out = open_svg(frame, "latency over time");
    out += fault_shading(frame, run);
    out += axes(frame, "Latency by invocation time", "time (s)", "latency (ms, log)");
    out += legend(frame, {{"ok", kOk}, {"fail", kFail}, {"info", kInfo}});
    // One point per pixel and outcome: a long run draws no more than a short one.
    std::set<std::tuple<int, int, int>> drawn;
    std::string points;
    for (const ClientOp& op : run.ops) {
        const double x = frame.x(to_seconds(op.invoked));
        const double y = frame.y(std::max(1e-3, to_milliseconds(op.completed - op.invoked)));
        const int kind = static_cast<int>(op.outcome);
        if (!drawn.emplace(static_cast<int>(x * 0.7), static_cast<int>(y * 0.7), kind).second) continue;
        points += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"1.6\" fill=\"{}\"/>", x, y,
                              outcome_colour(op.outcome));
        if (drawn.size() % 8 == 0) points += "\n";
    }
    out += "<g class=\"points\" fill-opacity=\"0.7\">" + points + "</g>\n</svg>\n";
    return out;
}

std::string nemesis_timeline_chart(const RunData& run, int width) {
    const std::vector<FaultBand> bands = fault_bands(run);
    std::vector<std::string> rows;
    std::map<int, int> row_of_lane;
    for (std::size_t lane = 0; lane < run.lanes.size(); ++lane) {
        if (!run.lanes[lane].server) continue;
        row_of_lane[static_cast<int>(lane)] = static_cast<int>(rows.size());
        rows.push_back(run.lanes[lane].name);
    }
    const int network_row = static_cast<int>(rows.size());
    rows.push_back("network");
    // A row of one lane is 22 px high, with a bar of 14; each further lane adds 16.
    constexpr double kRowHeight = 22, kBarHeight = 14, kLaneHeight = 16;
    Frame frame;
    frame.width = width;
    frame.left = 70;
    frame.x_hi = std::max(1e-3, to_seconds(run.end));

    // Each fault's bar, in each of its rows: faults of one row whose bars
    // would overlap (as drawn, at least 2 px wide) go to separate lanes of
    // the row, so that none hides another; each takes the first lane free
    // where it starts.
    struct Bar {
        std::size_t band;
        int row;
        double x0, x1;
        int lane = 0;
    };
    std::vector<Bar> bars;
    for (std::size_t i = 0; i < bands.size(); ++i) {
        const double x0 = frame.x(to_seconds(bands[i].from));
        const double x1 = std::max(x0 + 2, frame.x(to_seconds(bands[i].to)));
        std::vector<int> band_rows;
        for (int lane : bands[i].lanes) {
            if (auto found = row_of_lane.find(lane); found != row_of_lane.end()) band_rows.push_back(found->second);
        }
        if (band_rows.empty()) band_rows.push_back(network_row);
        for (int row : band_rows) bars.push_back(Bar{i, row, x0, x1});
    }
    std::vector<Bar*> by_start;
    for (Bar& bar : bars) by_start.push_back(&bar);
    std::stable_sort(by_start.begin(), by_start.end(), [](const Bar* a, const Bar* b) { return a->x0 < b->x0; });
    std::vector<std::vector<double>> lane_ends(rows.size());  // per row, where each lane's last bar ends
    for (Bar* bar : by_start) {
        std::vector<double>& ends = lane_ends[static_cast<std::size_t>(bar->row)];
        const auto free = std::find_if(ends.begin(), ends.end(), [bar](double end) { return end <= bar->x0; });
        bar->lane = static_cast<int>(free - ends.begin());
        if (free == ends.end()) {
            ends.push_back(bar->x1);
        } else {
            *free = bar->x1;
        }
    }
    std::vector<double> row_top(rows.size() + 1, frame.top);
    for (std::size_t row = 0; row < rows.size(); ++row) {
        const double lanes = static_cast<double>(std::max<std::size_t>(1, lane_ends[row].size()));
        row_top[row + 1] = row_top[row] + kRowHeight + kLaneHeight * (lanes - 1);
    }
    frame.height = static_cast<int>(row_top.back() + frame.bottom);

    std::string out = open_svg(frame, "nemesis timeline");
    out += fmt::format("<text class=\"title\" x=\"{}\" y=\"14\">Faults by node over time</text>\n", frame.left);
    const double x_step = nice_step(frame.x_hi, frame.plot_width() / 90);
    for (double v = 0; v <= frame.x_hi + x_step * 1e-9; v += x_step) {
        out += fmt::format(
            "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#eceff1\"/><text x=\"{0:.1f}\" "
            "y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
            frame.x(v), frame.top, frame.height - frame.bottom, frame.height - frame.bottom + 13, number(v));
    }
    for (std::size_t row = 0; row < rows.size(); ++row) {
        out += fmt::format(
            "<text x=\"{}\" y=\"{:.0f}\" text-anchor=\"end\">{}</text><line x1=\"{}\" x2=\"{}\" y1=\"{:.0f}\" "
            "y2=\"{:.0f}\" stroke=\"#eceff1\"/>\n",
            frame.left - 6, row_top[row] + 15, escape(rows[row]), frame.left, frame.width - frame.right,
            row_top[row + 1], row_top[row + 1]);
    }
    static const std::vector<std::pair<std::string, std::string>> kinds = {{"kill", "#c62828"},
                                                                           {"pause", "#6a1b9a"},
                                                                           {"graceful", "#1565c0"},
                                                                           {"partition", "#ef6c00"},
                                                                           {"latency", "#f9a825"}};
    for (const Bar& bar : bars) {
        const FaultBand& band = bands[bar.band];
        std::string colour = "#546e7a";
        for (const auto& [word, shade] : kinds) {
            if (band.label.starts_with(word)) colour = shade;
        }
        out += fmt::format(
            "<rect class=\"fault-bar\" x=\"{:.1f}\" y=\"{:.0f}\" width=\"{:.1f}\" height=\"{:.0f}\" rx=\"2\" "
            "fill=\"{}\" fill-opacity=\"0.75\"><title>{} to {}: {}</title></rect>\n",
            bar.x0, row_top[static_cast<std::size_t>(bar.row)] + 4 + kLaneHeight * bar.lane, bar.x1 - bar.x0,
            kBarHeight, colour, run_time(band.from), run_time(band.to), escape(band.label));
    }
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">time (s)</text>\n", frame.width - frame.right,
                       frame.height - 2);
    out += "</svg>\n";
    return out;
}

std::string throughput_chart(const RunData& run, int width, int height) {
    Frame frame;
    frame.width = width;
    frame.height = height;
    frame.x_hi = std::max(1e-3, to_seconds(run.end));
    constexpr int kBuckets = 150;
    const double bucket_seconds = frame.x_hi / kBuckets;
    std::map<check::OpType, std::vector<double>> rates;
    for (check::OpType type : {check::OpType::ok, check::OpType::fail, check::OpType::info}) {
        rates[type].assign(kBuckets, 0);
    }
    for (const ClientOp& op : run.ops) {
        if (op.complete_index < 0) continue;
        const auto bucket = std::min<int>(kBuckets - 1, static_cast<int>(to_seconds(op.completed) / bucket_seconds));
        rates[op.outcome == check::OpType::invoke ? check::OpType::info : op.outcome][bucket] += 1 / bucket_seconds;
    }
    double peak = 1;
    for (const auto& [type, values] : rates) peak = std::max(peak, *std::max_element(values.begin(), values.end()));
    frame.y_hi = peak * 1.1;
    std::string out = open_svg(frame, "throughput over time");
    out += fault_shading(frame, run);
    out += axes(frame, "Completions per second", "time (s)", "ops/s");
    out += legend(frame, {{"ok", kOk}, {"fail", kFail}, {"info", kInfo}});
    for (const auto& [type, values] : rates) {
        std::string path;
        for (int i = 0; i < kBuckets; ++i) {
            path += fmt::format("{}{:.1f},{:.1f}", i == 0 ? "M" : " L", frame.x((i + 0.5) * bucket_seconds),
                                frame.y(values[i]));
        }
        out += fmt::format("<path class=\"series\" d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"/>\n", path,
                           outcome_colour(type));
    }
    out += "</svg>\n";
    return out;
}

std::string histogram_chart(const std::string& title, const std::string& x_label, const std::vector<double>& edges,
                            const std::vector<HistogramSeries>& series, int width, int height) {
    Frame frame;
    frame.width = width;
    frame.height = height;
    frame.x_lo = edges.empty() ? 0 : edges.front();
    frame.x_hi = edges.size() < 2 ? 1 : edges.back();
    double peak = 1;
    for (const HistogramSeries& one : series) {
        for (double count : one.counts) peak = std::max(peak, count);
    }
    frame.y_hi = peak * 1.1;
    std::string out = open_svg(frame, title);
    out += axes(frame, title, x_label, "seeds");
    std::vector<std::pair<std::string, std::string>> names;
    for (const HistogramSeries& one : series) names.emplace_back(one.name, one.colour);
    out += legend(frame, names);
    const double share = 1.0 / static_cast<double>(std::max<std::size_t>(1, series.size()));
    for (std::size_t s = 0; s < series.size(); ++s) {
        for (std::size_t bin = 0; bin + 1 < edges.size() && bin < series[s].counts.size(); ++bin) {
            const double count = series[s].counts[bin];
            if (count <= 0) continue;
            const double x0 = frame.x(edges[bin]), x1 = frame.x(edges[bin + 1]);
            const double bar = (x1 - x0) * share;
            out += fmt::format(
                "<rect class=\"bar\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">"
                "<title>{}: {} seeds in [{}, {})</title></rect>\n",
                x0 + bar * static_cast<double>(s) + 0.5, frame.y(count), std::max(1.0, bar - 1),
                frame.y(0) - frame.y(count), series[s].colour, escape(series[s].name), count, number(edges[bin]),
                number(edges[bin + 1]));
        }
    }
    out += "</svg>\n";
    return out;
}

std::string scatter_chart(const std::string& title, const std::string& x_label, const std::string& y_label,
                          const std::vector<ScatterPoint>& points, int width, int height) {
    Frame frame;
    frame.width = width;
    frame.height = height;
    frame.right = 90;
    double x_hi = 1, y_hi = 1;
    for (const ScatterPoint& point : points) {
        x_hi = std::max(x_hi, point.x);
        y_hi = std::max(y_hi, point.y);
    }
    frame.x_hi = x_hi * 1.1;
    frame.y_hi = y_hi * 1.1;
    std::string out = open_svg(frame, title);
    out += axes(frame, title, x_label, y_label);
    std::map<std::string, std::vector<const ScatterPoint*>> lines;
    for (const ScatterPoint& point : points) {
        if (!point.series.empty()) lines[point.series].push_back(&point);
    }
    for (auto& [name, members] : lines) {
        std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) { return a->x < b->x; });
        std::string path;
        for (const ScatterPoint* point : members) {
            path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "M" : " L", frame.x(point->x), frame.y(point->y));
        }
        out += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-opacity=\"0.5\"/>\n", path,
                           members.front()->colour);
    }
    for (const ScatterPoint& point : points) {
        out += fmt::format(
            "<circle class=\"point\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\" fill=\"{}\"><title>{}</title></circle>"
            "<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n",
            frame.x(point.x), frame.y(point.y), point.colour, escape(point.label), frame.x(point.x) + 6,
            frame.y(point.y) - 4, escape(point.label));
    }
    out += "</svg>\n";
    return out;
}

}  // namespace faultline::report
