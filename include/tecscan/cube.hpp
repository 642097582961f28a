// The regional cube of one event: TEC at every region node and epoch, plus the indices on the
// same time axis. The file every later stage reads.
#pragma once
#include <string>
#include <vector>

#include "tecscan/catalog.hpp"
#include "tecscan/indices.hpp"
#include "tecscan/time.hpp"

namespace tecscan {

struct Cube {
  Event event;
  double radius_km = 2000;
  std::vector<double> node_lat, node_lon, node_distance_km;
  std::vector<TimeS> time;  // regular axis
  std::vector<float> tec;   // [node][time], TECU, NaN = missing
  std::vector<float> rms;   // same, or empty
  // Index values at each epoch (index_at), NaN = missing: kp, ap, ap_daily, dst, f107, f107_obs.
  std::vector<float> indices[kNumIndexKinds];
  std::vector<std::string> sources;  // every input file
  long missing_epochs = 0;           // from the IONEX gap report
  // [node] the key of each node's random streams (initial weights, shuffles: train_node's
  // `node`); empty = the node's index. A cube packing the nodes of several events keeps each
  // node's index in its own event, so an event's results do not depend on what it ran with.
  std::vector<int> rng_node_keys;
  size_t nnode() const { return node_lat.size(); }
  int rng_node(size_t n) const {
    return rng_node_keys.empty() ? static_cast<int>(n) : rng_node_keys[n];
  }
  size_t ntime() const { return time.size(); }
  const float* node_tec(size_t n) const { return tec.data() + n * time.size(); }
};

// Nodes whose TEC has no finite value anywhere in the cube: nothing can be learnt or measured
// there, so the scan leaves them out (with a note), and a cube of nothing but such nodes is an
// input error.
std::vector<size_t> nodes_without_data(const Cube& cube);
// "node 3 (12.5N 90.0W), node 7 (...)": nodes as messages name them.
std::string describe_nodes(const Cube& cube, const std::vector<size_t>& nodes);

// HDF5 layout (CF-style, opens in h5py and xarray(engine="h5netcdf")):
//  /tec, /rms float32 [node, time]; /time float64 "hours since 1970-01-01 00:00:00";
//  /node float, /node_lat, /node_lon, /node_distance_km [node];
//  /indices/{kp,ap,ap_daily,dst,f107,f107_obs} float32 [time], all six always (an index the
//  cube lacks is written as NaN = missing at every epoch);
//  root attributes event_id, event_time, event_lat, event_lon, event_magnitude, radius_km,
//  source_files. Written to <path>.tmp.<pid> then renamed.
void write_cube(const std::string& path, const Cube& cube);

// The parts of that layout that every file describing a cube repeats (scan.h5 too):
// /time, /node, /node_lat, /node_lon, /node_distance_km with their dimension scales, the
// /indices group, and the event's root attributes. `title` goes into the root "title".
class H5File;
void write_cube_coordinates(H5File& f, const Cube& cube);
void write_cube_indices(H5File& f, const Cube& cube);
void write_event_attributes(H5File& f, const Cube& cube, const std::string& title);
// "2017-11-12T18:18:17.180Z": the origin time with milliseconds when it has them.
std::string event_time_text(const Event& e);
// Throws InputError naming the file and the dataset when one is missing (every index dataset
// included: a missing one would silently change the quiet mask) or has no valid TEC value.
Cube read_cube(const std::string& path);

}  // namespace tecscan
