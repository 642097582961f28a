// The output directory of `tecscan merge`: merge.h5, significance.csv, sea_rates.csv,
// rate_difference.csv, molchan.csv, events.csv and summary.json (written last). docs/merge.md
// describes every field.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tecscan/atomic_file.hpp"
#include "tecscan/error.hpp"
#include "tecscan/h5file.hpp"
#include "tecscan/merge.hpp"
#include "tecscan/time.hpp"
#include "tecscan/validate.hpp"

namespace tecscan {
namespace {

using Json = nlohmann::ordered_json;

// CSV numbers: shortest round-trip-ish form; empty for NaN (pandas and numpy read it as NaN),
// "inf" / "-inf" for an unbounded gain or z.
std::string num(double v) {
  if (std::isnan(v)) return "";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// JSON has no NaN or infinity: null.
Json jnum(double v) {
  return std::isfinite(v) ? Json(v) : Json(nullptr);
}

std::string csv_text(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string iso_time(double seconds) {
  return format_iso(static_cast<TimeS>(std::floor(seconds)));
}

const char* kPooledStatistic =
    "S = sum over events of (anomaly rate in the precursor window - mean anomaly rate of the "
    "event's control windows), from each run's scan.h5 /significance";
const char* kPooledPermutation =
    "each draw: every event independently takes one of its windows (the precursor or one of its "
    "control windows, uniformly) as its precursor and the others as its controls; "
    "p = (1 + #{S* >= S}) / (1 + permutations)";
const char* kPooledFisher =
    "-2 sum ln p_e over the events' per-event p-values, chi-square with 2 x events degrees of "
    "freedom";
const char* kNotCalibrated =
    "pseudo-event rate difference (rate_difference.csv, p_value_not_calibrated, "
    "z_not_calibrated): not calibrated under the null, because every event sits at the same "
    "place in its run while pseudo-events fall anywhere in it (the layout confound, "
    "docs/merge.md); use 'significance'";

const char* kAlarmStatistic =
    "anomaly rate (anomalous / valid quiet node-epochs) in the precursor window "
    "[T - window_days, T) of each target";

// ---- merge.h5 ----------------------------------------------------------------------------------

std::vector<double> per_series(const MergeResult& r, double SeriesResult::*field) {
  std::vector<double> v;
  for (const SeriesResult& s : r.series) v.push_back(s.*field);
  return v;
}

void write_h5(const std::string& path, const MergeResult& r, const MergeInputs& in) {
  H5File f = H5File::create(path);
  const size_t ns = r.series.size(), nb = static_cast<size_t>(r.nbins), ne = r.events.size();
  const size_t nd = static_cast<size_t>(r.params.controls);
  f.write_string_list("detector", r.detectors,
                      {{"long_name", "series: the common detectors, then the consensus"}});
  std::vector<int32_t> days(nb);
  for (size_t b = 0; b < nb; ++b) days[b] = r.first_bin + static_cast<int32_t>(b);
  f.write("days_to_event", days, {nb},
          {{"units", "days"},
           {"long_name", "start of the 1-day bin: bin b holds b <= days_to_event < b + 1"}});
  f.make_scale("days_to_event", "days_to_event");

  // Superposed epoch analysis [series, bin].
  auto sea = [&](const std::string& name, std::vector<double> SeriesResult::*field,
                 const std::string& long_name) {
    std::vector<double> v;
    for (const SeriesResult& s : r.series) v.insert(v.end(), (s.*field).begin(), (s.*field).end());
    f.write("sea/" + name, v, {ns, nb}, {{"units", "1"}, {"long_name", long_name}});
    f.attach_scale("sea/" + name, 1, "days_to_event");
  };
  sea("events_rate", &SeriesResult::events_rate,
      "anomalous / valid quiet node-epochs, pooled over the events");
  sea("control_mean", &SeriesResult::control_mean,
      "mean over the control draws of the pooled pseudo-event rate");
  sea("control_lo", &SeriesResult::control_lo, "2.5th percentile of the control draws");
  sea("control_hi", &SeriesResult::control_hi, "97.5th percentile of the control draws");
  std::vector<int64_t> na, nv;
  std::vector<int32_t> nev;
  for (const SeriesResult& s : r.series) {
    na.insert(na.end(), s.n_anomalous.begin(), s.n_anomalous.end());
    nv.insert(nv.end(), s.n_valid.begin(), s.n_valid.end());
    nev.insert(nev.end(), s.n_events.begin(), s.n_events.end());
  }
  f.write("sea/n_anomalous", na, {ns, nb},
          {{"units", "node-epochs"}, {"long_name", "anomalous valid node-epochs, all events"}});
  f.write("sea/n_valid", nv, {ns, nb},
          {{"units", "node-epochs"},
           {"long_name", "valid node-epochs (DTEC present, quiet), all events"}});
  f.write("sea/n_events", nev, {ns, nb},
          {{"units", "1"}, {"long_name", "events with valid node-epochs in the bin"}});

  // Events.
  std::vector<std::string> ids, dirs;
  std::vector<double> hours, lat, lon, mag, control_hours;
  for (const MergeEvent& e : r.events) {
    ids.push_back(e.id);
    dirs.push_back(e.source);
    hours.push_back(e.event_time_s / 3600.0);
    lat.push_back(e.lat);
    lon.push_back(e.lon);
    mag.push_back(e.magnitude);
    for (double t : e.control_times_s) control_hours.push_back(t / 3600.0);
  }
  const char* kHours = "hours since 1970-01-01 00:00:00";
  f.write_string_list("events/id", ids, {{"long_name", "event id"}});
  f.write_string_list("events/run_dir", dirs, {{"long_name", "run directory"}});
  f.write("events/time", hours, {ne}, {{"units", kHours}, {"long_name", "origin time (UTC)"}});
  f.write("events/lat", lat, {ne}, {{"units", "degrees_north"}, {"long_name", "epicentre"}});
  f.write("events/lon", lon, {ne}, {{"units", "degrees_east"}, {"long_name", "epicentre"}});
  f.write("events/magnitude", mag, {ne}, {{"units", "1"}, {"long_name", "magnitude"}});
  std::vector<int64_t> ea, ev, wa, wv;
  std::vector<double> wr, cr, ep;
  for (const SeriesResult& s : r.series) {
    ea.insert(ea.end(), s.event_anomalous.begin(), s.event_anomalous.end());
    ev.insert(ev.end(), s.event_valid.begin(), s.event_valid.end());
    wa.insert(wa.end(), s.event_window_anomalous.begin(), s.event_window_anomalous.end());
    wv.insert(wv.end(), s.event_window_valid.begin(), s.event_window_valid.end());
    wr.insert(wr.end(), s.event_window_rate.begin(), s.event_window_rate.end());
    cr.insert(cr.end(), s.event_control_rate.begin(), s.event_control_rate.end());
    ep.insert(ep.end(), s.event_p.begin(), s.event_p.end());
  }
  f.write("events/anomalous", ea, {ns, ne, nb},
          {{"units", "node-epochs"}, {"long_name", "anomalous node-epochs [series, event, bin]"}});
  f.write("events/valid", ev, {ns, ne, nb},
          {{"units", "node-epochs"}, {"long_name", "valid node-epochs [series, event, bin]"}});
  f.write("events/window_anomalous", wa, {ns, ne},
          {{"units", "node-epochs"}, {"long_name", "anomalous node-epochs in the window"}});
  f.write("events/window_valid", wv, {ns, ne},
          {{"units", "node-epochs"}, {"long_name", "valid node-epochs in the window"}});
  f.write("events/window_rate", wr, {ns, ne},
          {{"units", "1"}, {"long_name", "anomaly rate in the precursor window"}});
  f.write("events/control_rate", cr, {ns, ne},
          {{"units", "1"}, {"long_name", "mean window rate of the event's own pseudo-events"}});
  f.write("events/p_value", ep, {ns, ne},
          {{"units", "1"},
           {"long_name", "permutation p of the event's window rate among its own pseudo-events"}});

  // Pooled per-event significance [series] and its inputs [series, event].
  {
    std::vector<int32_t> events, below, nc;
    std::vector<double> sw, sc, sp;
    for (const SeriesResult& s : r.series) {
      events.push_back(static_cast<int32_t>(s.pooled.events));
      below.push_back(static_cast<int32_t>(s.pooled.events_p_below_005));
      sw.insert(sw.end(), s.sig_window_rate.begin(), s.sig_window_rate.end());
      sc.insert(sc.end(), s.sig_control_mean.begin(), s.sig_control_mean.end());
      sp.insert(sp.end(), s.sig_p_value.begin(), s.sig_p_value.end());
      nc.insert(nc.end(), s.sig_n_controls.begin(), s.sig_n_controls.end());
    }
    auto pooled = [&](const std::string& name, double PooledSignificance::*field,
                      const std::string& long_name) {
      std::vector<double> v;
      for (const SeriesResult& s : r.series) v.push_back(s.pooled.*field);
      f.write("significance/" + name, v, {ns}, {{"units", "1"}, {"long_name", long_name}});
    };
    f.write("significance/events", events, {ns},
            {{"units", "1"}, {"long_name", "events with a precursor rate, a p and controls"}});
    pooled("sum_excess", &PooledSignificance::sum_excess,
           "S = sum of (window rate - mean control rate) over the events");
    pooled("mean_excess", &PooledSignificance::mean_excess, "S / events");
    pooled("null_sd", &PooledSignificance::null_sd, "standard deviation of S under the null");
    pooled("z", &PooledSignificance::z, "S / null_sd");
    pooled("p_permutation", &PooledSignificance::p_permutation,
           "stratified permutation p: (1 + #{S* >= S}) / (1 + permutations)");
    pooled("fisher_statistic", &PooledSignificance::fisher_statistic,
           "-2 sum ln p over the events' per-event p-values");
    pooled("p_fisher", &PooledSignificance::p_fisher,
           "P(chi-square with 2 x events dof >= fisher_statistic)");
    f.write("significance/events_p_below_0.05", below, {ns},
            {{"units", "1"}, {"long_name", "events whose per-event p < 0.05"}});
    f.write("significance/event_window_rate", sw, {ns, ne},
            {{"units", "1"}, {"long_name", "the scan's precursor-window anomaly rate"}});
    f.write("significance/event_control_mean", sc, {ns, ne},
            {{"units", "1"}, {"long_name", "mean anomaly rate of the scan's control windows"}});
    f.write("significance/event_p_value", sp, {ns, ne},
            {{"units", "1"}, {"long_name", "the scan's per-event p (NaN: run without it)"}});
    f.write("significance/event_n_controls", nc, {ns, ne},
            {{"units", "1"},
             {"long_name", "the event's control windows used (disjoint from each other)"}});
    f.set_attr("significance", "null", kPooledNull);
    f.set_attr("significance", "statistic", kPooledStatistic);
    f.set_attr("significance", "permutation", kPooledPermutation);
    f.set_attr("significance", "fisher", kPooledFisher);
    f.set_attr("significance", "permutations", r.params.permutations);
    f.set_attr("significance", "seed", static_cast<uint64_t>(r.params.seed));
    std::string missing;
    for (const std::string& m : r.without_significance)
      missing += (missing.empty() ? "" : "\n") + m;
    f.set_attr("significance", "runs_without_significance", missing);
    std::string overlapping;
    for (const std::string& m : r.overlapping_controls)
      overlapping += (overlapping.empty() ? "" : "\n") + m;
    f.set_attr("significance", "runs_with_overlapping_controls", overlapping);
  }

  // Controls.
  f.write("controls/time", control_hours, {ne, nd},
          {{"units", kHours}, {"long_name", "pseudo-event times [event, draw]"}});
  std::vector<double> draws;
  for (const SeriesResult& s : r.series)
    draws.insert(draws.end(), s.draw_rates.begin(), s.draw_rates.end());
  f.write("controls/window_rate", draws, {ns, nd},
          {{"units", "1"},
           {"long_name", "pooled window rate of pseudo-catalogue d (draw d of every event)"}});

  // Rate difference [series].
  auto rd = [&](const std::string& name, double SeriesResult::*field, const std::string& units,
                const std::string& long_name) {
    f.write("rate_difference/" + name, per_series(r, field), {ns},
            {{"units", units}, {"long_name", long_name}});
  };
  rd("events_rate", &SeriesResult::events_rate_window, "1", "pooled window rate of the events");
  rd("control_mean", &SeriesResult::control_mean_window, "1", "mean pooled rate of the draws");
  rd("control_sd", &SeriesResult::control_sd_window, "1", "standard deviation over the draws");
  rd("control_lo", &SeriesResult::control_lo_window, "1", "2.5th percentile of the draws");
  rd("control_hi", &SeriesResult::control_hi_window, "1", "97.5th percentile of the draws");
  rd("difference", &SeriesResult::difference, "1", "events_rate - control_mean");
  rd("z", &SeriesResult::z, "1", "difference / control_sd");
  rd("p_value", &SeriesResult::p_value, "1",
     "(1 + #draws >= events_rate) / (1 + #draws); NOT calibrated under the null (docs/merge.md)");

  // Molchan / ROC.
  std::vector<double> auc, skill, best_thr, best_hit, best_tau, best_gain;
  for (const SeriesResult& s : r.series) {
    const MolchanCurve& c = s.molchan;
    std::vector<double> thr, nu, tau, hit, gain;
    for (const MolchanPoint& p : c.points) {
      thr.push_back(p.threshold);
      nu.push_back(1 - p.hit_rate);
      tau.push_back(p.tau);
      hit.push_back(p.hit_rate);
      gain.push_back(p.gain);
    }
    const std::string g = "molchan/" + s.name + "/";
    const size_t k = thr.size();
    f.write(g + "threshold", thr, {k},
            {{"units", "1"}, {"long_name", "alarm when the window rate >= threshold"}});
    f.write(g + "nu", nu, {k}, {{"units", "1"}, {"long_name", "miss rate"}});
    f.write(g + "tau", tau, {k}, {{"units", "1"}, {"long_name", "fraction of controls alarmed"}});
    f.write(g + "hit_rate", hit, {k}, {{"units", "1"}, {"long_name", "1 - nu"}});
    f.write(g + "gain", gain, {k},
            {{"units", "1"}, {"long_name", "probability gain (1 - nu) / tau"}});
    const bool any = !c.points.empty();
    auc.push_back(c.auc);
    skill.push_back(c.skill);
    best_thr.push_back(any ? c.points[c.best].threshold : kMergeNaN);
    best_hit.push_back(any ? c.points[c.best].hit_rate : kMergeNaN);
    best_tau.push_back(any ? c.points[c.best].tau : kMergeNaN);
    best_gain.push_back(any ? c.points[c.best].gain : kMergeNaN);
  }
  f.write("roc/auc", auc, {ns}, {{"units", "1"}, {"long_name", "area under the ROC curve"}});
  f.write("roc/skill", skill, {ns},
          {{"units", "1"}, {"long_name", "Molchan skill 1 - nu - tau at the best threshold"}});
  f.write("roc/best_threshold", best_thr, {ns}, {{"units", "1"}, {"long_name", "best threshold"}});
  f.write("roc/best_hit_rate", best_hit, {ns}, {{"units", "1"}, {"long_name", "1 - nu there"}});
  f.write("roc/best_tau", best_tau, {ns}, {{"units", "1"}, {"long_name", "tau there"}});
  f.write("roc/best_gain", best_gain, {ns}, {{"units", "1"}, {"long_name", "gain there"}});

  f.set_attr("/", "title",
             "tecscan merge: pooled per-event significance, superposed epochs, controls, "
             "Molchan diagrams");
  f.set_attr("/", "tecscan_version", TECSCAN_VERSION);
  f.set_attr("/", "n_events", static_cast<uint64_t>(ne));
  f.set_attr("/", "n_skipped_incomplete", static_cast<uint64_t>(in.skipped.size()));
  f.set_attr("/", "consensus_k", r.consensus_k);
  f.set_attr("/", "controls", r.params.controls);
  f.set_attr("/", "seed", static_cast<uint64_t>(r.params.seed));
  f.set_attr("/", "window_days", r.params.window_days);
  f.set_attr("/", "exclude_days", r.params.exclude_days);
  f.set_attr("/", "days_before", r.params.days_before);
  f.set_attr("/", "days_after", r.params.days_after);
  f.set_attr("/", "alarm_statistic", kAlarmStatistic);
  f.set_attr("/", "control_span_windows", r.control_span_windows);
  f.set_attr("/", "permutations", r.params.permutations);
  f.set_attr("rate_difference", "note", kNotCalibrated);
  f.commit();
}

// ---- CSV ---------------------------------------------------------------------------------------

std::string significance_csv(const MergeResult& r) {
  std::ostringstream o;
  o << "detector,events,mean_excess,p_permutation,z,p_fisher,events_p_below_0.05\n";
  for (const SeriesResult& s : r.series) {
    const PooledSignificance& p = s.pooled;
    o << s.name << ',' << p.events << ',' << num(p.mean_excess) << ',' << num(p.p_permutation)
      << ',' << num(p.z) << ',' << num(p.p_fisher) << ',' << p.events_p_below_005 << '\n';
  }
  return o.str();
}

std::string sea_csv(const MergeResult& r) {
  std::ostringstream o;
  o << "detector,days_to_event,events_rate,control_mean,control_lo,control_hi,n_valid,"
       "n_anomalous,n_events\n";
  for (const SeriesResult& s : r.series)
    for (int b = 0; b < r.nbins; ++b)
      o << s.name << ',' << r.first_bin + b << ',' << num(s.events_rate[b]) << ','
        << num(s.control_mean[b]) << ',' << num(s.control_lo[b]) << ',' << num(s.control_hi[b])
        << ',' << s.n_valid[b] << ',' << s.n_anomalous[b] << ',' << s.n_events[b] << '\n';
  return o.str();
}

std::string rate_difference_csv(const MergeResult& r) {
  std::ostringstream o;
  o << "detector,window_days,events_rate,control_mean,control_sd,control_lo,control_hi,"
       "difference,z,p_value,n_anomalous,n_valid,n_events,n_draws,auc,molchan_skill,"
       "best_threshold,best_gain\n";
  for (const SeriesResult& s : r.series) {
    const MolchanCurve& c = s.molchan;
    const bool any = !c.points.empty();
    o << s.name << ',' << num(r.params.window_days) << ',' << num(s.events_rate_window) << ','
      << num(s.control_mean_window) << ',' << num(s.control_sd_window) << ','
      << num(s.control_lo_window) << ',' << num(s.control_hi_window) << ',' << num(s.difference)
      << ',' << num(s.z) << ',' << num(s.p_value) << ',' << s.window_anomalous << ','
      << s.window_valid << ',' << r.events.size() << ',' << r.params.controls << ',' << num(c.auc)
      << ',' << num(c.skill) << ',' << num(any ? c.points[c.best].threshold : kMergeNaN) << ','
      << num(any ? c.points[c.best].gain : kMergeNaN) << '\n';
  }
  return o.str();
}

std::string molchan_csv(const MergeResult& r) {
  std::ostringstream o;
  o << "detector,threshold,nu,tau,hit_rate,false_alarm_rate,gain\n";
  for (const SeriesResult& s : r.series)
    for (const MolchanPoint& p : s.molchan.points)
      o << s.name << ',' << num(p.threshold) << ',' << num(1 - p.hit_rate) << ',' << num(p.tau)
        << ',' << num(p.hit_rate) << ',' << num(p.tau) << ',' << num(p.gain) << '\n';
  return o.str();
}

std::string events_csv(const MergeResult& r) {
  std::ostringstream o;
  o << "detector,event_id,event_time,magnitude,window_anomalous,window_valid,window_rate,"
       "control_rate,p_value,scan_window_rate,scan_control_mean,scan_p_value,scan_n_controls\n";
  for (const SeriesResult& s : r.series)
    for (size_t e = 0; e < r.events.size(); ++e)
      o << s.name << ',' << csv_text(r.events[e].id) << ',' << iso_time(r.events[e].event_time_s)
        << ',' << num(r.events[e].magnitude) << ',' << s.event_window_anomalous[e] << ','
        << s.event_window_valid[e] << ',' << num(s.event_window_rate[e]) << ','
        << num(s.event_control_rate[e]) << ',' << num(s.event_p[e]) << ','
        << num(s.sig_window_rate[e]) << ',' << num(s.sig_control_mean[e]) << ','
        << num(s.sig_p_value[e]) << ',' << s.sig_n_controls[e] << '\n';
  return o.str();
}

// ---- summary.json ------------------------------------------------------------------------------

// The files a merge writes, summary.json (the completeness mark) last.
const std::vector<std::string> kMergeOutputs = {
    "merge.h5",    "significance.csv", "sea_rates.csv", "rate_difference.csv",
    "molchan.csv", "events.csv",       "summary.json"};

std::string summary_json(const MergeResult& r, const MergeInputs& in) {
  Json j;
  j["tecscan_version"] = TECSCAN_VERSION;
  Json runs = Json::array();
  for (const MergeEvent& e : r.events)
    runs.push_back({{"run_dir", e.source},
                    {"event_id", e.id},
                    {"event_time", iso_time(e.event_time_s)},
                    {"magnitude", jnum(e.magnitude)}});
  j["inputs"] = {{"arguments", in.arguments},
                 {"runs", runs},
                 {"skipped_incomplete", in.skipped},
                 {"excluded", r.excluded}};
  j["n_events"] = r.events.size();
  j["n_skipped"] = in.skipped.size();
  j["n_excluded"] = r.excluded.size();
  j["detectors"] = r.detectors;
  j["detectors_not_common"] = in.not_common;
  j["parameters"] = {{"consensus_k", r.consensus_k},
                     {"controls", r.params.controls},
                     {"permutations", r.params.permutations},
                     {"seed", r.params.seed},
                     {"window_days", r.params.window_days},
                     {"exclude_days", r.params.exclude_days},
                     {"days_before", r.params.days_before},
                     {"days_after", r.params.days_after},
                     {"bin_days", 1},
                     {"alarm_statistic", kAlarmStatistic}};
  Json sig_series = Json::array();
  for (const SeriesResult& s : r.series) {
    const PooledSignificance& p = s.pooled;
    sig_series.push_back({{"name", s.name},
                          {"events", p.events},
                          {"mean_excess", jnum(p.mean_excess)},
                          {"p_permutation", jnum(p.p_permutation)},
                          {"z", jnum(p.z)},
                          {"p_fisher", jnum(p.p_fisher)},
                          {"events_p_below_0.05", p.events_p_below_005},
                          {"sum_excess", jnum(p.sum_excess)},
                          {"null_sd", jnum(p.null_sd)},
                          {"fisher_statistic", jnum(p.fisher_statistic)}});
  }
  Json window_days = Json::array();
  for (double w : r.significance_window_days) window_days.push_back(jnum(w));
  j["significance"] = {{"null", kPooledNull},
                       {"statistic", kPooledStatistic},
                       {"permutation", kPooledPermutation},
                       {"fisher", kPooledFisher},
                       {"permutations", r.params.permutations},
                       {"seed", r.params.seed},
                       {"n_runs", r.events.size() - r.without_significance.size()},
                       {"runs_without_significance", r.without_significance},
                       {"runs_with_overlapping_controls", r.overlapping_controls},
                       {"controls_used",
                        "the control windows that overlap neither the precursor window nor each "
                        "other (all of them with the scan's default control_step_days)"},
                       {"window_days", window_days},
                       {"consensus_min", r.significance_consensus_min},
                       {"scan_null", r.significance_scan_null},
                       {"detectors", sig_series}};
  j["diagnostics"] = {{"control_span_windows", jnum(r.control_span_windows)},
                      {"anti_conservative_p",
                       r.params.exclude_days > 0 && r.control_span_windows < kMinControlSpan}};
  Json results = Json::object();
  for (const SeriesResult& s : r.series) {
    const MolchanCurve& c = s.molchan;
    const bool any = !c.points.empty();
    results[s.name] = {{"events_rate", jnum(s.events_rate_window)},
                       {"control_mean", jnum(s.control_mean_window)},
                       {"rate_difference", jnum(s.difference)},
                       {"p_value_not_calibrated", jnum(s.p_value)},
                       {"z_not_calibrated", jnum(s.z)},
                       {"auc", jnum(c.auc)},
                       {"molchan_skill", jnum(c.skill)},
                       {"best_threshold", jnum(any ? c.points[c.best].threshold : kMergeNaN)},
                       {"best_hit_rate", jnum(any ? c.points[c.best].hit_rate : kMergeNaN)},
                       {"best_tau", jnum(any ? c.points[c.best].tau : kMergeNaN)},
                       {"best_gain", jnum(any ? c.points[c.best].gain : kMergeNaN)}};
  }
  j["results_note"] = kNotCalibrated;
  j["results"] = results;
  j["outputs"] = kMergeOutputs;
  return j.dump(2) + "\n";
}

}  // namespace

void require_merge_output_dir(const std::string& out_dir, const std::string& option) {
  namespace fs = std::filesystem;
  // Never into a scan run or a batch root: the merge's summary.json would replace the run's.
  require_run_dir_kind(out_dir, RunDirKind::kMerge, option);
  std::error_code ec;
  // A directory of the user's own files may receive a merge, but never at the cost of one of
  // them: a file there with a merge output's name (events.csv, summary.json) is not replaced.
  if (run_dir_kind(out_dir) == RunDirKind::kOther)
    for (const std::string& name : kMergeOutputs)
      if (fs::exists(fs::path(out_dir) / name, ec))
        throw InputError(out_dir, 0,
                         "holds a file named " + name +
                             " that is not part of a merge; writing the merge there would "
                             "replace it, choose another " +
                             option + " directory");
}

void write_merge_outputs(const std::string& out_dir, const MergeResult& result,
                         const MergeInputs& inputs) {
  namespace fs = std::filesystem;
  require_merge_output_dir(out_dir, "merge output");
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec || !fs::is_directory(out_dir))
    throw InputError(out_dir, 0,
                     "cannot create the output directory" + (ec ? ": " + ec.message() : ""));
  const fs::path dir(out_dir);
  // summary.json marks a complete merge: remove an old one before replacing anything.
  fs::remove(dir / "summary.json", ec);
  if (ec) throw InputError((dir / "summary.json").string(), 0, "cannot remove: " + ec.message());
  remove_stale_temp_files(out_dir);  // temp files of a killed run of this directory
  write_h5((dir / "merge.h5").string(), result, inputs);
  write_file_atomic((dir / "significance.csv").string(), significance_csv(result));
  write_file_atomic((dir / "sea_rates.csv").string(), sea_csv(result));
  write_file_atomic((dir / "rate_difference.csv").string(), rate_difference_csv(result));
  write_file_atomic((dir / "molchan.csv").string(), molchan_csv(result));
  write_file_atomic((dir / "events.csv").string(), events_csv(result));
  write_file_atomic((dir / "summary.json").string(), summary_json(result, inputs));
}

}  // namespace tecscan
