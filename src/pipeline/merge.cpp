// The statistics of `tecscan merge` (definitions in docs/merge.md). Every statistic pools whole
// epochs of a run, so a run is first reduced to per-epoch node counts (count_run); the rest works
// on those counts and on prefix sums of them.
#include "tecscan/merge.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <numeric>
#include <set>

#include "tecscan/error.hpp"
#include "tecscan/rng.hpp"
#include "tecscan/stats.hpp"

namespace tecscan {
namespace {

constexpr double kDayS = 86400.0;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr uint64_t kRngControls = 0x6d65726765ull;  // "merge": a stream apart from training's
constexpr uint64_t kRngPermute = 0x7065726dull;     // "perm": the pooled test's null draws

// FNV-1a: the control draws of an event depend on its id, not on its place in the input list,
// so adding or removing runs leaves the other events' pseudo-events unchanged.
uint64_t hash_id(const std::string& id) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : id) h = (h ^ c) * 1099511628211ull;
  return h;
}

double rate(int64_t anomalous, int64_t valid) {
  return valid > 0 ? static_cast<double>(anomalous) / static_cast<double>(valid) : kMergeNaN;
}

std::vector<double> finite_sorted(const std::vector<double>& v) {
  std::vector<double> out;
  for (double x : v)
    if (std::isfinite(x)) out.push_back(x);
  std::sort(out.begin(), out.end());
  return out;
}

double mean_of(const std::vector<double>& v) {
  return v.empty() ? kMergeNaN : std::accumulate(v.begin(), v.end(), 0.0) / v.size();
}

// Sample standard deviation (n - 1).
double sd_of(const std::vector<double>& v) {
  if (v.size() < 2) return kMergeNaN;
  const double m = mean_of(v);
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

// The empirical 95 % band of the draws (type-7 quantiles).
void band(const std::vector<double>& draws, double& mean, double& lo, double& hi) {
  std::vector<double> s = finite_sorted(draws);
  mean = mean_of(s);
  lo = s.empty() ? kMergeNaN : quantile_sorted(s.data(), s.size(), 0.025);
  hi = s.empty() ? kMergeNaN : quantile_sorted(s.data(), s.size(), 0.975);
}

// Prefix sums of one series' counts: window sums in O(log n).
struct Prefix {
  std::vector<int64_t> anomalous, valid;  // [time + 1]
  explicit Prefix(const SeriesCounts& c) : anomalous(c.valid.size() + 1, 0), valid(anomalous) {
    for (size_t t = 0; t < c.valid.size(); ++t) {
      anomalous[t + 1] = anomalous[t] + c.anomalous[t];
      valid[t + 1] = valid[t] + c.valid[t];
    }
  }
};

// Epoch index range [i0, i1) with begin <= time < end.
std::pair<size_t, size_t> epoch_range(const std::vector<double>& time_s, double begin, double end) {
  auto i0 = std::lower_bound(time_s.begin(), time_s.end(), begin);
  auto i1 = std::lower_bound(time_s.begin(), time_s.end(), end);
  return {static_cast<size_t>(i0 - time_s.begin()),
          static_cast<size_t>(std::max(i0, i1) - time_s.begin())};
}

// Where a pseudo-event may fall in a run: its window [T - W, T) inside the data, T outside
// (E - X, E + X). At most two pieces [begin, end].
struct Allowed {
  std::vector<std::pair<double, double>> pieces;
  double length = 0;
};

Allowed allowed_times(const RunCounts& r, double window_s, double exclude_s) {
  Allowed a;
  const double lo = r.time_s.front() + window_s, hi = r.time_s.back();
  auto add = [&](double b, double e) {
    if (e > b) a.pieces.emplace_back(b, e), a.length += e - b;
  };
  if (exclude_s <= 0) {
    add(lo, hi);
  } else {
    add(lo, std::min(hi, r.event_time_s - exclude_s));
    add(std::max(lo, r.event_time_s + exclude_s), hi);
  }
  return a;
}

// The d-th pseudo-event: uniform over the allowed pieces.
double draw_time(const Allowed& a, uint64_t key, uint64_t d) {
  const double u = static_cast<double>(rng_u64(key, d) >> 11) * (1.0 / 9007199254740992.0);
  double x = u * a.length;
  for (const auto& p : a.pieces) {
    if (x < p.second - p.first) return p.first + x;
    x -= p.second - p.first;
  }
  return a.pieces.back().second;
}

// The window that event e takes in one null draw: uniform over n (53 random bits).
size_t pick(uint64_t key, uint64_t draw, size_t n) {
  const double u = static_cast<double>(rng_u64(key, draw) >> 11) * (1.0 / 9007199254740992.0);
  return std::min(n - 1, static_cast<size_t>(u * static_cast<double>(n)));
}

void check_params(const MergeParams& p) {
  if (p.controls < 1) throw InputError("--controls: expected at least 1 pseudo-event per run");
  if (p.permutations < 1)
    throw InputError("--permutations: expected at least 1 draw of the pooled test's null");
  if (!(p.window_days > 0) || !std::isfinite(p.window_days))
    throw InputError("--window-days: expected a positive number of days");
  if (!std::isfinite(p.exclude_days))
    throw InputError("--exclude-days: expected a number of days (negative = the window)");
}

}  // namespace

const char* const kPooledNull =
    "per-event control windows from each run's own series, same layout as the precursor window";

std::vector<std::string> common_detectors(const std::vector<std::vector<std::string>>& sets) {
  if (sets.empty()) return {};
  std::vector<std::string> out;
  for (const std::string& name : sets.front()) {
    bool everywhere = true;
    for (const auto& s : sets)
      everywhere = everywhere && std::find(s.begin(), s.end(), name) != s.end();
    if (everywhere && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

int resolve_consensus_k(int requested, size_t ndetectors) {
  if (ndetectors == 0) throw InputError("merge: the runs have no detector in common");
  if (requested < 0) throw InputError("--consensus: expected K >= 0 (0 = half the detectors)");
  if (requested == 0) return static_cast<int>((ndetectors + 1) / 2);
  if (static_cast<size_t>(requested) > ndetectors)
    throw InputError("--consensus " + std::to_string(requested) + ": the runs have only " +
                     std::to_string(ndetectors) + " detectors in common");
  return requested;
}

RunCounts count_run(const MergeRun& run, const std::vector<std::string>& detectors, int k) {
  const size_t nt = run.time_s.size(), nn = run.nnode, cells = nn * nt;
  auto fail = [&](const std::string& what) { throw InputError(run.source, 0, what); };
  if (nt == 0 || nn == 0) fail("expected at least one node and one epoch");
  if (run.quiet.size() != nt) fail("quiet: expected one value per epoch");
  for (size_t t = 1; t < nt; ++t)
    if (!(run.time_s[t] > run.time_s[t - 1])) fail("time: expected increasing epochs");
  std::vector<const RunDetector*> used;
  for (const std::string& name : detectors) {
    auto it = std::find_if(run.detectors.begin(), run.detectors.end(),
                           [&](const RunDetector& d) { return d.name == name; });
    if (it == run.detectors.end()) fail("no detector '" + name + "'");
    if (it->anomaly.size() != cells || it->has_dtec.size() != cells)
      fail(name + ": expected node x time = " + std::to_string(nn) + " x " + std::to_string(nt) +
           " values");
    used.push_back(&*it);
  }
  RunCounts c;
  if (run.significance.present) {
    // The scan's significance of the same detectors, then its consensus.
    c.significance = run.significance;
    c.significance.series.clear();
    std::vector<std::string> names = detectors;
    names.push_back("consensus");
    for (const std::string& name : names) {
      auto it = std::find_if(run.significance.series.begin(), run.significance.series.end(),
                             [&](const EventSignificance& e) { return e.name == name; });
      if (it == run.significance.series.end()) fail("/significance has no '" + name + "'");
      c.significance.series.push_back(*it);
    }
  }
  c.id = run.id;
  c.source = run.source;
  c.event_time_s = run.event_time_s;
  c.lat = run.lat;
  c.lon = run.lon;
  c.magnitude = run.magnitude;
  c.time_s = run.time_s;
  c.series.assign(used.size() + 1,
                  SeriesCounts{std::vector<int32_t>(nt, 0), std::vector<int32_t>(nt, 0)});
  SeriesCounts& consensus = c.series.back();
  for (size_t t = 0; t < nt; ++t) {
    if (!run.quiet[t]) continue;  // nothing is valid at a disturbed epoch
    for (size_t n = 0; n < nn; ++n) {
      const size_t i = n * nt + t;
      int have = 0, hits = 0;
      for (size_t d = 0; d < used.size(); ++d) {
        if (!used[d]->has_dtec[i]) continue;
        const bool hit = used[d]->anomaly[i] != 0;
        ++c.series[d].valid[t];
        c.series[d].anomalous[t] += hit;
        ++have;
        hits += hit;
      }
      if (have >= k) {
        ++consensus.valid[t];
        consensus.anomalous[t] += hits >= k;
      }
    }
  }
  return c;
}

double permutation_p(double observed, const std::vector<double>& draws) {
  if (std::isnan(observed)) return kMergeNaN;
  size_t n = 0, at_least = 0;
  for (double x : draws) {
    if (std::isnan(x)) continue;
    ++n;
    at_least += x >= observed;
  }
  return static_cast<double>(1 + at_least) / static_cast<double>(1 + n);
}

double fisher_combined_p(const std::vector<double>& p_values) {
  double x = 0;  // X / 2 = -sum ln p
  int k = 0;
  for (double p : p_values) {
    if (std::isnan(p)) continue;
    if (!(p > 0 && p <= 1))
      throw InputError("Fisher's combination: a p-value " + std::to_string(p) + " outside (0, 1]");
    x -= std::log(p);
    ++k;
  }
  if (k == 0) return kMergeNaN;
  if (x <= 0) return 1.0;  // every p is 1
  // P(chi2_2k >= 2x) = P(Poisson(x) <= k - 1): each term in logs, so large k and x neither
  // overflow nor underflow before they matter.
  double sum = 0;
  for (int i = 0; i < k; ++i)
    sum += std::exp(-x + i * std::log(x) - std::lgamma(static_cast<double>(i) + 1.0));
  return std::min(1.0, sum);
}

EventSignificance disjoint_controls(const EventSignificance& event, double window_days) {
  const size_t n = event.control_rates.size();
  if (event.control_end_day.size() != n || !(window_days > 0)) return event;
  // Nearest the event first: the scan writes them so, but the rule should not depend on it.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return event.control_end_day[a] > event.control_end_day[b];
  });
  EventSignificance kept = event;
  kept.control_rates.clear();
  kept.control_end_day.clear();
  const double slack = 1e-9;  // day fractions from the scan's seconds
  double last_end = 0;        // the precursor window ends at the event
  for (size_t i : order) {
    if (event.control_end_day[i] > last_end - window_days + slack) continue;
    last_end = event.control_end_day[i];
    kept.control_rates.push_back(event.control_rates[i]);
    kept.control_end_day.push_back(last_end);
  }
  if (kept.control_rates.size() == n) return event;
  if (std::isnan(event.window_rate) || kept.control_rates.empty()) {
    kept.p_value = kMergeNaN;
  } else {
    size_t at_least = 0;
    for (double r : kept.control_rates) at_least += r >= event.window_rate;
    kept.p_value =
        static_cast<double>(1 + at_least) / static_cast<double>(1 + kept.control_rates.size());
  }
  return kept;
}

PooledSignificance pooled_significance(const std::vector<const EventSignificance*>& events,
                                       const std::vector<uint64_t>& keys, int permutations) {
  if (keys.size() != events.size())
    throw InputError("pooled significance: expected one key per event");
  if (permutations < 1) throw InputError("--permutations: expected at least 1");
  PooledSignificance out;
  // Per event, the excess each of its windows would give as the precursor window:
  // c_j = x_j - mean(x without j) over the window rates x_0 (the precursor), x_1.. (controls).
  std::vector<std::vector<double>> excess;
  std::vector<uint64_t> used_keys;
  std::vector<double> p_values;
  double variance = 0;
  for (size_t e = 0; e < events.size(); ++e) {
    const EventSignificance* ev = events[e];
    if (!ev || !std::isfinite(ev->window_rate) || !std::isfinite(ev->p_value)) continue;
    std::vector<double> x = {ev->window_rate};
    for (double c : ev->control_rates)
      if (std::isfinite(c)) x.push_back(c);
    if (x.size() < 2) continue;
    // In differences from x_0, so that equal rates give exactly equal (zero) excesses.
    double total = 0;
    for (double& v : x) total += (v -= ev->window_rate);
    const double n_other = static_cast<double>(x.size() - 1);
    std::vector<double> c(x.size());
    double sq = 0;
    for (size_t j = 0; j < x.size(); ++j) {
      c[j] = x[j] - (total - x[j]) / n_other;
      sq += c[j] * c[j];
    }
    // The c_j sum to 0, so the null mean of c is 0 and its variance mean(c^2).
    variance += sq / static_cast<double>(x.size());
    excess.push_back(std::move(c));
    used_keys.push_back(keys[e]);
    p_values.push_back(ev->p_value);
    out.events_p_below_005 += ev->p_value < 0.05;
  }
  out.events = excess.size();
  if (excess.empty()) return out;
  double s = 0;
  for (const auto& c : excess) s += c[0];
  out.sum_excess = s;
  out.mean_excess = s / static_cast<double>(out.events);
  out.null_sd = std::sqrt(variance);
  out.z = out.null_sd > 0 ? s / out.null_sd : 0.0;  // sd 0: every window alike, S = 0
  // Draws whose S* equals S up to rounding count as ties, i.e. against the events.
  const double tol = 1e-12 * static_cast<double>(excess.size());
  size_t at_least = 0;
  for (int d = 0; d < permutations; ++d) {
    double draw = 0;
    for (size_t e = 0; e < excess.size(); ++e)
      draw += excess[e][pick(used_keys[e], static_cast<uint64_t>(d), excess[e].size())];
    at_least += draw >= s - tol;
  }
  out.p_permutation = static_cast<double>(1 + at_least) / static_cast<double>(1 + permutations);
  double x = 0;
  for (double p : p_values) x -= 2 * std::log(p);
  out.fisher_statistic = x;
  out.p_fisher = fisher_combined_p(p_values);
  return out;
}

MolchanCurve molchan_curve(const std::vector<double>& positives,
                           const std::vector<double>& negatives) {
  MolchanCurve c;
  const std::vector<double> pos = finite_sorted(positives), neg = finite_sorted(negatives);
  c.positives = pos.size();
  c.negatives = neg.size();
  if (pos.empty() || neg.empty()) return c;
  const double np = static_cast<double>(pos.size()), nn = static_cast<double>(neg.size());
  // Mann-Whitney: the exact area under the ROC curve, ties counted half.
  double wins = 0;
  for (double p : pos) {
    auto below = std::lower_bound(neg.begin(), neg.end(), p) - neg.begin();
    auto ties = std::upper_bound(neg.begin(), neg.end(), p) - neg.begin() - below;
    wins += static_cast<double>(below) + 0.5 * static_cast<double>(ties);
  }
  c.auc = wins / (np * nn);
  // Thresholds: every distinct value, decreasing; alarm when statistic >= threshold.
  std::vector<double> thresholds(pos);
  thresholds.insert(thresholds.end(), neg.begin(), neg.end());
  std::sort(thresholds.begin(), thresholds.end(), std::greater<double>());
  thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
  thresholds.insert(thresholds.begin(), kInf);
  c.skill = -kInf;
  for (double thr : thresholds) {
    MolchanPoint pt;
    pt.threshold = thr;
    pt.hit_rate =
        static_cast<double>(pos.end() - std::lower_bound(pos.begin(), pos.end(), thr)) / np;
    pt.tau = static_cast<double>(neg.end() - std::lower_bound(neg.begin(), neg.end(), thr)) / nn;
    pt.gain = pt.tau > 0 ? pt.hit_rate / pt.tau : pt.hit_rate > 0 ? kInf : kMergeNaN;
    const double skill = pt.hit_rate - pt.tau;  // 1 - nu - tau
    if (skill > c.skill) c.skill = skill, c.best = c.points.size();
    c.points.push_back(pt);
  }
  return c;
}

MergeResult merge_counts(std::vector<RunCounts> runs, const std::vector<std::string>& series_names,
                         int consensus_k, const MergeParams& params) {
  check_params(params);
  MergeResult res;
  res.params = params;
  if (res.params.exclude_days < 0) res.params.exclude_days = params.window_days;
  res.consensus_k = consensus_k;
  res.detectors = series_names;
  const double window_s = res.params.window_days * kDayS;
  const double exclude_s = res.params.exclude_days * kDayS;
  const size_t ns = series_names.size();

  std::sort(runs.begin(), runs.end(), [](const RunCounts& a, const RunCounts& b) {
    return a.event_time_s != b.event_time_s ? a.event_time_s < b.event_time_s : a.id < b.id;
  });
  std::map<std::string, std::string> seen;
  for (const RunCounts& r : runs) {
    auto [it, fresh] = seen.emplace(r.id, r.source);
    if (!fresh)
      throw InputError(r.source, 0,
                       "event " + r.id + " is also in " + it->second +
                           ": merge one run per event (pooling an event twice biases the rates)");
    if (r.series.size() != ns || r.time_s.empty())
      throw InputError(r.source, 0, "expected " + std::to_string(ns) + " series and epochs");
    if (r.significance.present && r.significance.series.size() != ns)
      throw InputError(r.source, 0,
                       "expected the significance of " + std::to_string(ns) + " series");
  }

  // Runs without room for a pseudo-event would enter the events but not the controls.
  std::vector<RunCounts> kept;
  std::vector<Allowed> allowed;
  std::vector<double> spans;
  for (RunCounts& r : runs) {
    Allowed a = allowed_times(r, window_s, exclude_s);
    if (a.length <= 0) {
      char why[160];
      std::snprintf(why, sizeof why,
                    ": no room for a pseudo-event (needs %g days of data before it, at least %g "
                    "days from the event)",
                    res.params.window_days, res.params.exclude_days);
      res.excluded.push_back(r.source + why);
      continue;
    }
    spans.push_back(a.length / window_s);
    kept.push_back(std::move(r));
    allowed.push_back(std::move(a));
  }
  std::sort(spans.begin(), spans.end());
  if (kept.empty())
    throw InputError(
        "merge: no run has room for pseudo-events; use a shorter --window-days or "
        "--exclude-days");
  const size_t ne = kept.size(), nd = static_cast<size_t>(params.controls);
  res.control_span_windows = quantile_sorted(spans.data(), spans.size(), 0.5);

  // Bins of one day: b <= days_to_event < b + 1.
  int bmin = params.days_before >= 0 ? -params.days_before : 0;
  int bend = params.days_after >= 0 ? params.days_after : 0;
  if (params.days_before < 0 || params.days_after < 0) {
    int lo = 1 << 30, hi = -(1 << 30);
    for (const RunCounts& r : kept) {
      lo = std::min(lo, static_cast<int>(std::floor((r.time_s.front() - r.event_time_s) / kDayS)));
      hi = std::max(hi, static_cast<int>(std::floor((r.time_s.back() - r.event_time_s) / kDayS)));
    }
    if (params.days_before < 0) bmin = lo;
    if (params.days_after < 0) bend = hi + 1;
  }
  if (bend <= bmin) throw InputError("--days-before/--days-after: expected at least one day-bin");
  res.first_bin = bmin;
  res.nbins = bend - bmin;
  res.params.days_before = -bmin;
  res.params.days_after = bend;
  const size_t nb = static_cast<size_t>(res.nbins);
  auto bin_of = [&](double t, double ref) -> long {
    return static_cast<long>(std::floor((t - ref) / kDayS)) - bmin;
  };

  // The pseudo-events.
  for (size_t e = 0; e < ne; ++e) {
    MergeEvent ev;
    ev.id = kept[e].id;
    ev.source = kept[e].source;
    ev.event_time_s = kept[e].event_time_s;
    ev.lat = kept[e].lat;
    ev.lon = kept[e].lon;
    ev.magnitude = kept[e].magnitude;
    const uint64_t key = rng_key(params.seed, hash_id(ev.id), 0, kRngControls);
    for (size_t d = 0; d < nd; ++d) ev.control_times_s.push_back(draw_time(allowed[e], key, d));
    res.events.push_back(std::move(ev));
  }

  // Superposed epochs of the events [s][e][b] and of every draw [d][s][b].
  res.series.resize(ns);
  std::vector<int64_t> draw_a(nd * ns * nb, 0), draw_v(nd * ns * nb, 0);
  for (size_t s = 0; s < ns; ++s) {
    res.series[s].name = series_names[s];
    res.series[s].event_anomalous.assign(ne * nb, 0);
    res.series[s].event_valid.assign(ne * nb, 0);
  }
  for (size_t e = 0; e < ne; ++e) {
    const RunCounts& r = kept[e];
    for (size_t t = 0; t < r.time_s.size(); ++t) {
      const long b = bin_of(r.time_s[t], r.event_time_s);
      if (b < 0 || b >= res.nbins) continue;
      for (size_t s = 0; s < ns; ++s) {
        res.series[s].event_anomalous[e * nb + b] += r.series[s].anomalous[t];
        res.series[s].event_valid[e * nb + b] += r.series[s].valid[t];
      }
    }
    for (size_t d = 0; d < nd; ++d) {
      const double ref = res.events[e].control_times_s[d];
      for (size_t t = 0; t < r.time_s.size(); ++t) {
        const long b = bin_of(r.time_s[t], ref);
        if (b < 0 || b >= res.nbins) continue;
        for (size_t s = 0; s < ns; ++s) {
          draw_a[(d * ns + s) * nb + b] += r.series[s].anomalous[t];
          draw_v[(d * ns + s) * nb + b] += r.series[s].valid[t];
        }
      }
    }
  }

  std::vector<size_t> overlapping;  // events whose controls were thinned (any series)
  for (size_t s = 0; s < ns; ++s) {
    SeriesResult& sr = res.series[s];
    sr.events_rate.assign(nb, kMergeNaN);
    sr.control_mean = sr.control_lo = sr.control_hi = sr.events_rate;
    sr.n_anomalous.assign(nb, 0);
    sr.n_valid.assign(nb, 0);
    sr.n_events.assign(nb, 0);
    for (size_t b = 0; b < nb; ++b) {
      for (size_t e = 0; e < ne; ++e) {
        sr.n_anomalous[b] += sr.event_anomalous[e * nb + b];
        sr.n_valid[b] += sr.event_valid[e * nb + b];
        sr.n_events[b] += sr.event_valid[e * nb + b] > 0;
      }
      sr.events_rate[b] = rate(sr.n_anomalous[b], sr.n_valid[b]);
      std::vector<double> draws(nd);
      for (size_t d = 0; d < nd; ++d)
        draws[d] = rate(draw_a[(d * ns + s) * nb + b], draw_v[(d * ns + s) * nb + b]);
      band(draws, sr.control_mean[b], sr.control_lo[b], sr.control_hi[b]);
    }

    // Precursor window [T - W, T) of every event and every pseudo-event.
    std::vector<Prefix> prefix;
    for (const RunCounts& r : kept) prefix.emplace_back(r.series[s]);
    auto window = [&](size_t e, double ref, int64_t& a, int64_t& v) {
      auto [i0, i1] = epoch_range(kept[e].time_s, ref - window_s, ref);
      a = prefix[e].anomalous[i1] - prefix[e].anomalous[i0];
      v = prefix[e].valid[i1] - prefix[e].valid[i0];
    };
    std::vector<int64_t> pooled_a(nd, 0), pooled_v(nd, 0);
    std::vector<double> negatives;
    for (size_t e = 0; e < ne; ++e) {
      int64_t a, v;
      window(e, kept[e].event_time_s, a, v);
      sr.window_anomalous += a;
      sr.window_valid += v;
      sr.event_window_anomalous.push_back(a);
      sr.event_window_valid.push_back(v);
      sr.event_window_rate.push_back(rate(a, v));
      std::vector<double> own(nd);
      for (size_t d = 0; d < nd; ++d) {
        window(e, res.events[e].control_times_s[d], a, v);
        pooled_a[d] += a;
        pooled_v[d] += v;
        own[d] = rate(a, v);
      }
      sr.event_control_rate.push_back(mean_of(finite_sorted(own)));
      sr.event_p.push_back(permutation_p(sr.event_window_rate.back(), own));
      negatives.insert(negatives.end(), own.begin(), own.end());
    }
    sr.events_rate_window = rate(sr.window_anomalous, sr.window_valid);
    for (size_t d = 0; d < nd; ++d) sr.draw_rates.push_back(rate(pooled_a[d], pooled_v[d]));
    const std::vector<double> finite = finite_sorted(sr.draw_rates);
    band(finite, sr.control_mean_window, sr.control_lo_window, sr.control_hi_window);
    sr.control_sd_window = sd_of(finite);
    sr.difference = sr.events_rate_window - sr.control_mean_window;
    if (std::isnan(sr.difference))
      sr.z = kMergeNaN;
    else if (sr.control_sd_window > 0)
      sr.z = sr.difference / sr.control_sd_window;
    else  // every draw alike: any difference is beyond all of them
      sr.z = sr.difference > 0 ? kInf : sr.difference < 0 ? -kInf : 0.0;
    sr.p_value = permutation_p(sr.events_rate_window, sr.draw_rates);
    sr.molchan = molchan_curve(sr.event_window_rate, negatives);

    // The scans' per-event significance over disjoint control windows, pooled over the runs
    // that have it.
    std::vector<EventSignificance> used;
    std::vector<uint64_t> keys;
    used.reserve(ne);
    for (size_t e = 0; e < ne; ++e) {
      const RunSignificance& rs = kept[e].significance;
      if (rs.present) {
        used.push_back(disjoint_controls(rs.series[s], rs.window_days));
        if (used.back().control_rates.size() < rs.series[s].control_rates.size() &&
            std::find(overlapping.begin(), overlapping.end(), e) == overlapping.end())
          overlapping.push_back(e);
        keys.push_back(
            rng_key(params.seed, hash_id(kept[e].id), hash_id(series_names[s]), kRngPermute));
      }
      const EventSignificance* es = rs.present ? &used.back() : nullptr;
      std::vector<double> controls = es ? finite_sorted(es->control_rates) : std::vector<double>();
      sr.sig_window_rate.push_back(es ? es->window_rate : kMergeNaN);
      sr.sig_control_mean.push_back(mean_of(controls));
      sr.sig_p_value.push_back(es ? es->p_value : kMergeNaN);
      sr.sig_n_controls.push_back(static_cast<int32_t>(controls.size()));
    }
    std::vector<const EventSignificance*> sig;
    for (const EventSignificance& u : used) sig.push_back(&u);
    sr.pooled = pooled_significance(sig, keys, params.permutations);
  }

  std::sort(overlapping.begin(), overlapping.end());
  for (size_t e : overlapping) res.overlapping_controls.push_back(kept[e].source);

  // What the pooled significance rests on.
  for (const RunCounts& r : kept) {
    const RunSignificance& rs = r.significance;
    if (!rs.present) {
      res.without_significance.push_back(r.source);
      continue;
    }
    auto add = [](auto& list, const auto& v) {
      if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
    };
    add(res.significance_window_days, rs.window_days);
    add(res.significance_consensus_min, rs.consensus_min);
    add(res.significance_scan_null, rs.null);
  }
  return res;
}

MergeResult merge_runs(const std::vector<MergeRun>& runs, const MergeParams& params,
                       std::vector<std::string>* not_common) {
  std::vector<std::vector<std::string>> sets;
  for (const MergeRun& r : runs) {
    sets.emplace_back();
    for (const RunDetector& d : r.detectors) sets.back().push_back(d.name);
  }
  const std::vector<std::string> common = common_detectors(sets);
  if (not_common) {
    std::set<std::string> rest;
    for (const auto& s : sets)
      for (const std::string& name : s)
        if (std::find(common.begin(), common.end(), name) == common.end()) rest.insert(name);
    not_common->assign(rest.begin(), rest.end());
  }
  if (runs.empty()) throw InputError("merge: no run to merge");
  const int k = resolve_consensus_k(params.consensus_k, common.size());
  std::vector<RunCounts> counts;
  for (const MergeRun& r : runs) counts.push_back(count_run(r, common, k));
  std::vector<std::string> names = common;
  names.push_back("consensus");
  return merge_counts(std::move(counts), names, k, params);
}

}  // namespace tecscan
