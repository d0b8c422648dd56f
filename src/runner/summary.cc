#include "runner/summary.h"

#include <fmt/color.h>
#include <fmt/format.h>

namespace faultline::runner {

namespace {

std::string si(double value) {
    if (value >= 1e9) return fmt::format("{:.2f}G", value / 1e9);
    if (value >= 1e6) return fmt::format("{:.2f}M", value / 1e6);
    if (value >= 1e3) return fmt::format("{:.1f}k", value / 1e3);
    return fmt::format("{:.0f}", value);
}

}  // namespace

std::string in_verdict_colour(const std::string& text, Verdict verdict, bool colour) {
    if (!colour) return text;
    const fmt::terminal_color hue = verdict == Verdict::valid     ? fmt::terminal_color::green
                                    : verdict == Verdict::invalid ? fmt::terminal_color::red
                                                                  : fmt::terminal_color::yellow;
    return fmt::format(fmt::fg(hue) | fmt::emphasis::bold, "{}", text);
}

std::string verdict_text(Verdict verdict, bool colour) {
    return in_verdict_colour(verdict_name(verdict), verdict, colour);
}

namespace {

// "timing       partial synchrony, GST 23.4s (drawn from the seed); delays within 50ms after it; drift within 100ppm"
std::string format_timing(const Json& timing) {
    const std::string model = timing["model"].get<std::string>();
    const std::string bound = format_duration(timing["delay_max_ns"].get<Nanos>());
    const std::string drift = fmt::format("drift within {}ppm", timing["drift_max_ppm"].get<double>());
    if (model == "sync") return fmt::format("timing       synchronous: delays within {}; {}\n", bound, drift);
    if (model == "partial") {
        return fmt::format("timing       partial synchrony, GST {}{}; delays within {} after it; {}\n",
                           format_duration(timing["gst_ns"].get<Nanos>()),
                           timing["gst_drawn"].get<bool>() ? " (drawn from the seed)" : "", bound, drift);
    }
    return fmt::format("timing       asynchronous: the leader's and candidates' messages held {} and more; {}\n",
                       format_duration(timing["async_hold_ns"].get<Nanos>()), drift);
}

}  // namespace

std::string format_summary(const RunResult& result, bool colour) {
    const RunConfig& config = result.config;
    std::string out;
    out += fmt::format("system       {}, {} nodes, {} clients, seed {}\n", config.system, config.nodes, config.clients,
                       config.seed);
    if (!result.search_described.empty()) out += fmt::format("search       {}\n", result.search_described);
    out += fmt::format("operations   {} invoked: {} ok, {} fail, {} info\n", result.ops.invoked, result.ops.ok,
                       result.ops.fail, result.ops.info);
    if (result.ops.ok > 0) {
        out += fmt::format("latency      p50 {}  p99 {}  max {}\n", format_duration(result.latency.p50),
                           format_duration(result.latency.p99), format_duration(result.latency.max));
    }
    const auto& stats = result.stats;
    out += fmt::format("messages     {} sent, {} delivered, {} dropped, {} duplicated\n", stats.messages_sent,
                       stats.messages_delivered, stats.messages_dropped, stats.messages_duplicated);
    out += fmt::format("time         {} simulated in {:.3f}s wall ({}x), {} events ({} events/s)\n",
                       format_duration(result.simulated), result.wall_seconds, si(result.speedup()), stats.events,
                       si(result.events_per_second()));
    if (result.timing.is_object()) out += format_timing(result.timing);
    if (!result.schedule.faults.empty()) {
        out += fmt::format("faults       {} scheduled, all healed at {}\n", result.schedule.faults.size(),
                           format_duration(result.healed_at));
        // Each fault with its start, end and targets; a long schedule is cut
        // short here and kept whole in results.json.
        constexpr std::size_t shown_max = 20;
        const auto& faults = result.schedule.faults;
        for (std::size_t i = 0; i < faults.size() && i < shown_max; ++i) {
            out += fmt::format("  fault      {}\n", faults[i].describe_span());
        }
        if (faults.size() > shown_max) {
            out +=
                fmt::format("  fault      ... and {} more (results.json, \"schedule\")\n", faults.size() - shown_max);
        }
    }
    if (result.fault_point_hits() > 0) {
        out += fmt::format("fault points {} acted (crashes, stretched timers, delayed sends; each in the trace)\n",
                           result.fault_point_hits());
    }
    for (const CheckOutcome& check : result.checks) {
        out +=
            fmt::format("check        {}: {} ({})\n", check.name, verdict_text(check.verdict, colour), check.summary);
    }
    out += fmt::format("trace hash   {:016x}\n", result.trace_hash);
    out += fmt::format("verdict      {}\n", verdict_text(result.verdict, colour));
    return out;
}

}  // namespace faultline::runner
