// The regional cube file: round trip, CF attributes, atomic writes, readers' errors, and an
// h5py/xarray check of the layout. Also the H5File and AtomicFile helpers it is built on.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tecscan/atomic_file.hpp"
#include "tecscan/cube.hpp"
#include "tecscan/error.hpp"
#include "tecscan/h5file.hpp"

namespace tecscan {
namespace {

namespace fs = std::filesystem;
const float kNaN = std::numeric_limits<float>::quiet_NaN();

// 3 nodes x 5 two-hourly epochs with gaps, RMS and a few indices: the shape of a real cube.
Cube small_cube() {
  Cube c;
  c.event.id = "us2000bmcg";
  c.event.time = make_time(2017, 11, 12, 18, 18, 17);
  c.event.time_frac = 0.18;
  c.event.lat = 34.9109, c.event.lon = 45.9592, c.event.mag = 7.3, c.event.depth_km = 19;
  c.event.mag_type = "mww";
  c.event.place = "29km S of Halabjah, Iraq";
  c.radius_km = 2000;
  c.node_lat = {37.5, 35.0, 35.0};
  c.node_lon = {45.0, 45.0, 50.0};
  c.node_distance_km = {294.6, 87.96, 370.5};
  for (int t = 0; t < 5; ++t) c.time.push_back(make_time(2017, 11, 12, 2 * t));
  c.tec = {10.5f, 11.0f, kNaN,  13.25f, 14.0f,  //
           20.0f, kNaN,  kNaN,  23.5f,  24.0f,  //
           30.0f, 31.0f, 32.0f, 33.0f,  kNaN};
  c.rms = std::vector<float>(15, 1.5f);
  c.rms[2] = kNaN;
  c.indices[static_cast<int>(IndexKind::kKp)] = {1.667f, 1.667f, 2.0f, kNaN, 1.333f};
  c.indices[static_cast<int>(IndexKind::kDst)] = {-15, -12, -9, -3, kNaN};
  c.indices[static_cast<int>(IndexKind::kF107)] = {68, 68, 68, 68, 68};
  c.sources = {"/data/jplg3160.17i.Z", "/data/jplg3170.17i.Z", "/data/omni2_2017.dat"};
  c.missing_epochs = 2;
  return c;
}

// Element-wise equality where NaN equals NaN.
void expect_same(const std::vector<float>& a, const std::vector<float>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(b[i])) {
      EXPECT_TRUE(std::isnan(a[i])) << what << "[" << i << "]";
    } else {
      EXPECT_EQ(a[i], b[i]) << what << "[" << i << "]";
    }
  }
}

class CubeFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tecscan_cube_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_))
      names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  fs::path dir_;
};

TEST_F(CubeFiles, RoundTripKeepsValuesNaNsAndEvent) {
  const Cube c = small_cube();
  write_cube(path("cube.h5"), c);
  Cube r = read_cube(path("cube.h5"));
  EXPECT_EQ(r.nnode(), 3u);
  EXPECT_EQ(r.ntime(), 5u);
  EXPECT_EQ(r.time, c.time);
  EXPECT_EQ(r.node_lat, c.node_lat);
  EXPECT_EQ(r.node_lon, c.node_lon);
  EXPECT_EQ(r.node_distance_km, c.node_distance_km);
  expect_same(r.tec, c.tec, "tec");
  expect_same(r.rms, c.rms, "rms");
  EXPECT_TRUE(std::isnan(r.node_tec(1)[1]));
  EXPECT_EQ(r.node_tec(2)[3], 33.0f);
  for (int k = 0; k < kNumIndexKinds; ++k)
    if (!c.indices[k].empty())
      expect_same(r.indices[k], c.indices[k], index_name(static_cast<IndexKind>(k)));
  // Never given: read back as missing (NaN) at every epoch, as the scan treats it.
  const std::vector<float>& ap = r.indices[static_cast<int>(IndexKind::kAp)];
  EXPECT_EQ(ap.size(), c.ntime());
  EXPECT_TRUE(std::all_of(ap.begin(), ap.end(), [](float v) { return std::isnan(v); }));
  EXPECT_EQ(r.sources, c.sources);
  EXPECT_EQ(r.missing_epochs, 2);
  EXPECT_DOUBLE_EQ(r.radius_km, 2000);
  EXPECT_EQ(r.event.id, c.event.id);
  EXPECT_EQ(r.event.time, c.event.time);
  EXPECT_NEAR(r.event.time_frac, 0.18, 1e-9);
  EXPECT_DOUBLE_EQ(r.event.lat, c.event.lat);
  EXPECT_DOUBLE_EQ(r.event.lon, c.event.lon);
  EXPECT_DOUBLE_EQ(r.event.mag, 7.3);
  EXPECT_DOUBLE_EQ(r.event.depth_km, 19);
  EXPECT_EQ(r.event.mag_type, "mww");
  EXPECT_EQ(r.event.place, c.event.place);
  EXPECT_EQ(r.event.type, "earthquake");
}

TEST_F(CubeFiles, CarriesCfAttributesAndDimensionScales) {
  Cube c = small_cube();
  c.event.depth_km = std::nan("");  // a custom --event without depth
  write_cube(path("cube.h5"), c);
  H5File f = H5File::open_read(path("cube.h5"));
  EXPECT_EQ(f.read_attr_string("/", "Conventions"), "CF-1.8");
  EXPECT_EQ(f.read_attr_string("/", "tecscan_version"), TECSCAN_VERSION);
  EXPECT_EQ(f.read_attr_string("/", "event_id"), "us2000bmcg");
  EXPECT_EQ(f.read_attr_string("/", "event_time"), "2017-11-12T18:18:17.180Z");
  EXPECT_DOUBLE_EQ(f.read_attr_double("/", "event_lat"), 34.9109);
  EXPECT_DOUBLE_EQ(f.read_attr_double("/", "event_lon"), 45.9592);
  EXPECT_DOUBLE_EQ(f.read_attr_double("/", "event_magnitude"), 7.3);
  EXPECT_TRUE(std::isnan(f.read_attr_double("/", "event_depth_km")));
  EXPECT_DOUBLE_EQ(f.read_attr_double("/", "radius_km"), 2000);
  EXPECT_EQ(f.read_attr_string("/", "source_files"),
            "/data/jplg3160.17i.Z\n/data/jplg3170.17i.Z\n/data/omni2_2017.dat");

  EXPECT_EQ(f.dims("tec"), (std::vector<size_t>{3, 5}));
  EXPECT_EQ(f.read_attr_string("tec", "units"), "TECU");
  EXPECT_FALSE(f.read_attr_string("tec", "long_name").empty());
  EXPECT_TRUE(std::isnan(f.read_attr_double("tec", "_FillValue")));
  EXPECT_EQ(f.read_attr_string("rms", "units"), "TECU");
  EXPECT_EQ(f.read_attr_string("time", "units"), "hours since 1970-01-01 00:00:00");
  EXPECT_EQ(f.read_attr_string("node_lat", "units"), "degrees_north");
  EXPECT_EQ(f.read_attr_string("node_lon", "units"), "degrees_east");
  EXPECT_EQ(f.read_attr_string("node_distance_km", "units"), "km");
  EXPECT_EQ(f.read_attr_string("indices/dst", "units"), "nT");
  EXPECT_TRUE(f.has("indices/ap"));  // every cube holds all six indices (NaN = no value)
  // netCDF-4 dimension scales: CLASS and NAME on /time and /node, references on /tec.
  EXPECT_EQ(f.read_attr_string("time", "CLASS"), "DIMENSION_SCALE");
  EXPECT_EQ(f.read_attr_string("time", "NAME"), "time");
  EXPECT_EQ(f.read_attr_string("node", "NAME"), "node");
  EXPECT_TRUE(f.has_attr("tec", "DIMENSION_LIST"));
  // The time axis in hours since 1970: 2017-11-12T00:00Z = 17482 days.
  std::vector<double> hours = f.read_double("time");
  ASSERT_EQ(hours.size(), 5u);
  EXPECT_DOUBLE_EQ(hours[0], 17482.0 * 24);
  EXPECT_DOUBLE_EQ(hours[4] - hours[0], 8.0);
}

TEST_F(CubeFiles, WriteIsAtomicAndReplacesAnOldCube) {
  Cube c = small_cube();
  write_cube(path("cube.h5"), c);
  EXPECT_EQ(listing(), std::vector<std::string>{"cube.h5"});  // no temp file left
  c.tec[0] = 99.5f;
  write_cube(path("cube.h5"), c);
  EXPECT_EQ(read_cube(path("cube.h5")).tec[0], 99.5f);
  EXPECT_EQ(listing(), std::vector<std::string>{"cube.h5"});

  // A cube whose arrays disagree is refused before anything is written.
  Cube bad = small_cube();
  bad.tec.pop_back();
  EXPECT_THROW(write_cube(path("bad.h5"), bad), std::invalid_argument);
  EXPECT_EQ(listing(), std::vector<std::string>{"cube.h5"});
}

TEST_F(CubeFiles, MissingDirectoryIsAClearErrorAndLeavesNoFile) {
  const std::string target = path("no/such/dir/cube.h5");
  try {
    write_cube(target, small_cube());
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path("no/such/dir")), std::string::npos) << e.what();
  }
  EXPECT_TRUE(listing().empty());
}

TEST_F(CubeFiles, UncommittedH5FileLeavesTheOldFileAlone) {
  write_cube(path("cube.h5"), small_cube());
  {
    H5File f = H5File::create(path("cube.h5"));
    f.write("tec", std::vector<float>{1, 2}, {2});
    EXPECT_TRUE(fs::exists(path("cube.h5.tmp." + std::to_string(::getpid()))));
    // Destroyed without commit(): an interrupted writer.
  }
  EXPECT_EQ(listing(), std::vector<std::string>{"cube.h5"});
  EXPECT_EQ(read_cube(path("cube.h5")).tec.size(), 15u);
}

TEST_F(CubeFiles, ReadingBadFilesRaisesInputError) {
  EXPECT_THROW(read_cube(path("absent.h5")), InputError);
  std::ofstream(path("text.h5")) << "not hdf5\n";
  try {
    read_cube(path("text.h5"));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path("text.h5"));
    EXPECT_NE(std::string(e.what()).find("not an HDF5 file"), std::string::npos) << e.what();
  }
  // An HDF5 file without the cube's datasets names what is missing.
  {
    H5File f = H5File::create(path("other.h5"));
    f.set_attr("/", "event_id", "x");
    f.commit();
  }
  try {
    read_cube(path("other.h5"));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("event_time"), std::string::npos) << e.what();
  }
}

TEST_F(CubeFiles, H5FileRoundTripsEveryTypeAndStrings) {
  {
    H5File f = H5File::create(path("types.h5"));
    f.write("u8", std::vector<uint8_t>{0, 1, 255}, {3});
    f.write("i32", std::vector<int32_t>{-7, 0, 2147483647, 4}, {2, 2});
    f.write("deep/group/i64", std::vector<int64_t>{-(int64_t(1) << 40), 3}, {2},
            {{"units", "s"}, {"count", 2}});
    f.write("f64", std::vector<double>{0.1, std::nan(""), 1e300}, {3});
    f.write("empty", std::vector<float>{}, {0, 4});
    f.write_string_list("names", {"alpha", "", "gamma, with comma"});
    f.set_attr("f64", "scale", 2.5);
    f.set_attr("/", "blank", "");
    f.set_attr("/", "size", std::vector<int>(7).size());  // size_t: stored as an integer
    EXPECT_THROW(f.write("u8", std::vector<uint8_t>{1}, {1}), std::runtime_error);
    EXPECT_THROW(f.write("wrong", std::vector<float>{1, 2, 3}, {2, 2}), std::invalid_argument);
    f.commit();
  }
  H5File f = H5File::open_read(path("types.h5"));
  EXPECT_EQ(f.read_uint8("u8"), (std::vector<uint8_t>{0, 1, 255}));
  EXPECT_EQ(f.read_int32("i32"), (std::vector<int32_t>{-7, 0, 2147483647, 4}));
  EXPECT_EQ(f.dims("i32"), (std::vector<size_t>{2, 2}));
  EXPECT_EQ(f.read_int64("deep/group/i64"), (std::vector<int64_t>{-(int64_t(1) << 40), 3}));
  EXPECT_TRUE(f.has("/deep/group"));
  EXPECT_FALSE(f.has("deep/nothing/here"));
  EXPECT_EQ(f.read_attr_int("deep/group/i64", "count"), 2);
  EXPECT_EQ(f.read_attr_string("deep/group/i64", "units"), "s");
  std::vector<size_t> dims;
  std::vector<double> f64 = f.read_double("f64", dims);
  EXPECT_EQ(dims, std::vector<size_t>{3});
  EXPECT_DOUBLE_EQ(f64[0], 0.1);
  EXPECT_TRUE(std::isnan(f64[1]));
  EXPECT_DOUBLE_EQ(f64[2], 1e300);
  EXPECT_EQ(f.read_float("u8"), (std::vector<float>{0, 1, 255}));  // converted by HDF5
  EXPECT_TRUE(f.read_float("empty", dims).empty());
  EXPECT_EQ(dims, (std::vector<size_t>{0, 4}));
  EXPECT_EQ(f.read_string_list("names"),
            (std::vector<std::string>{"alpha", "", "gamma, with comma"}));
  EXPECT_DOUBLE_EQ(f.read_attr_double("f64", "scale"), 2.5);
  EXPECT_EQ(f.read_attr_string("/", "blank"), "");
  EXPECT_EQ(f.read_attr_int("/", "size"), 7);
  EXPECT_EQ(f.attr_names("deep/group/i64"), (std::vector<std::string>{"count", "units"}));
  // Readers' errors name the file and the object.
  try {
    f.read_float("missing");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path("types.h5"));
    EXPECT_NE(std::string(e.what()).find("'missing'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(f.read_attr_double("f64", "nope"), InputError);
  EXPECT_THROW(f.read_attr_int("f64", "scale"), InputError);  // a double, not an integer
  EXPECT_THROW(f.read_string_list("u8"), InputError);
  EXPECT_THROW(f.read_double("names"), InputError);
}

// Arrays of rank >= 2 are shuffled and deflated chunk by chunk on every core and handed to HDF5
// as stored (hdf5_common.hpp, write_deflated). They must read back exactly, through HDF5's own
// filter pipeline, for every element size and with chunks cut at the array's edge in each
// dimension; and each stored chunk must be the very bytes HDF5's filters store for the same
// data (a dataset written the library's way beside it).
TEST_F(CubeFiles, H5FileDeflatedChunksAreWhatHdf5Stores) {
  std::vector<float> f32(5 * 70 * 1000);  // chunks of 1 x 65 x 1000: cut in dimension 1
  for (size_t i = 0; i < f32.size(); ++i) f32[i] = static_cast<float>(std::sin(0.001 * i) * 40);
  f32[12345] = std::numeric_limits<float>::quiet_NaN();
  std::vector<uint8_t> u8(3 * 70000);  // chunks of 1 x 65536: cut in the last dimension
  for (size_t i = 0; i < u8.size(); ++i) u8[i] = static_cast<uint8_t>((i * 7919) >> 5);
  std::vector<int64_t> i64(130 * 1000);  // 65 x 1000
  for (size_t i = 0; i < i64.size(); ++i) i64[i] = static_cast<int64_t>(i * i) - 5000;
  std::vector<double> f64(3 * 5);  // one chunk, the whole array
  for (size_t i = 0; i < f64.size(); ++i) f64[i] = 1.0 / (1.0 + i);
  {
    H5File f = H5File::create(path("chunks.h5"));
    f.write("f32", f32, {5, 70, 1000});
    f.write("u8", u8, {3, 70000});
    f.write("i64", i64, {130, 1000});
    f.write("f64", f64, {3, 5});
    f.commit();
  }
  {
    H5File f = H5File::open_read(path("chunks.h5"));
    const std::vector<float> back = f.read_float("f32");
    ASSERT_EQ(back.size(), f32.size());
    for (size_t i = 0; i < f32.size(); ++i)
      ASSERT_TRUE(back[i] == f32[i] || (std::isnan(back[i]) && std::isnan(f32[i]))) << i;
    EXPECT_EQ(f.read_uint8("u8"), u8);
    EXPECT_EQ(f.read_int64("i64"), i64);
    EXPECT_EQ(f.read_double("f64"), f64);
  }
  // The same data through HDF5's filter pipeline, then chunk by chunk, raw bytes.
  hid_t file = H5Fopen(path("chunks.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  auto compare = [&](const char* name, hid_t type, const void* data) {
    hid_t ours = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t dcpl = H5Dget_create_plist(ours), space = H5Dget_space(ours);
    const int rank = H5Sget_simple_extent_ndims(space);
    std::vector<hsize_t> dims(rank), chunk(rank);
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    H5Pget_chunk(dcpl, rank, chunk.data());
    hid_t file_type = H5Dget_type(ours);
    hid_t theirs = H5Dcreate2(file, (std::string(name) + "_library").c_str(), file_type, space,
                              H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ASSERT_GE(H5Dwrite(theirs, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), 0);
    std::vector<hsize_t> grid(rank), at(rank, 0);
    size_t nchunk = 1;
    for (int k = 0; k < rank; ++k) nchunk *= grid[k] = (dims[k] + chunk[k] - 1) / chunk[k];
    for (size_t c = 0; c < nchunk; ++c) {
      std::vector<hsize_t> origin(rank);
      size_t rest = c;
      for (int k = rank; k-- > 0; rest /= grid[k]) origin[k] = (rest % grid[k]) * chunk[k];
      hsize_t a = 0, b = 0;
      ASSERT_GE(H5Dget_chunk_storage_size(ours, origin.data(), &a), 0);
      ASSERT_GE(H5Dget_chunk_storage_size(theirs, origin.data(), &b), 0);
      ASSERT_EQ(a, b) << name << " chunk " << c;
      std::vector<unsigned char> x(a), y(b);
      uint32_t mask_x = 9, mask_y = 9;
      ASSERT_GE(H5Dread_chunk(ours, H5P_DEFAULT, origin.data(), &mask_x, x.data()), 0);
      ASSERT_GE(H5Dread_chunk(theirs, H5P_DEFAULT, origin.data(), &mask_y, y.data()), 0);
      EXPECT_EQ(mask_x, mask_y) << name << " chunk " << c;
      EXPECT_TRUE(x == y) << name << " chunk " << c << " differs from HDF5's";
    }
    H5Dclose(theirs);
    H5Tclose(file_type);
    H5Sclose(space);
    H5Pclose(dcpl);
    H5Dclose(ours);
  };
  compare("f32", H5T_NATIVE_FLOAT, f32.data());
  compare("u8", H5T_NATIVE_UINT8, u8.data());
  compare("i64", H5T_NATIVE_INT64, i64.data());
  compare("f64", H5T_NATIVE_DOUBLE, f64.data());
  H5Fclose(file);
}

TEST_F(CubeFiles, AtomicFileWritesTextAndCleansUp) {
  write_file_atomic(path("a.csv"), "x,y\n1,2\n");
  std::ifstream in(path("a.csv"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "x,y\n1,2\n");
  {
    AtomicFile out(path("b.json"));
    EXPECT_EQ(out.temp_path(), path("b.json") + ".tmp." + std::to_string(::getpid()));
    std::ofstream(out.temp_path()) << "{}";
    // never committed
  }
  EXPECT_EQ(listing(), std::vector<std::string>{"a.csv"});
  {
    AtomicFile out(path("c.json"));
    std::ofstream(out.temp_path()) << "{}";
    out.commit();
    EXPECT_TRUE(out.committed());
  }
  EXPECT_EQ(listing(), (std::vector<std::string>{"a.csv", "c.json"}));
  EXPECT_THROW(AtomicFile(path("missing/dir/x.csv")), InputError);
  EXPECT_THROW(write_file_atomic(path("missing/x.csv"), "x"), InputError);
  AtomicFile never_written(path("d.csv"));
  EXPECT_THROW(never_written.commit(), std::runtime_error);  // no temp file to rename
}

// Runs a command, returning its exit code and output.
int run(const std::string& command, std::string& output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return -1;
  char buf[512];
  while (fgets(buf, sizeof buf, pipe)) output += buf;
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(CubeFiles, OpensInH5pyAndXarray) {
  const std::string python = "/usr/bin/python3";
  std::string probe;
  if (!fs::exists(python) || run(python + " -c 'import h5py, xarray, h5netcdf, numpy'", probe) != 0)
    GTEST_SKIP() << python
                 << " lacks h5py/xarray/h5netcdf, cannot check the cube in Python: " << probe;
  const Cube c = small_cube();
  write_cube(path("cube.h5"), c);
  nlohmann::json expected;
  expected["nnode"] = c.nnode();
  expected["ntime"] = c.ntime();
  expected["first_time"] = format_iso(c.time[0]);
  expected["time_step_s"] = c.time[1] - c.time[0];
  expected["event_id"] = c.event.id;
  for (size_t n = 0; n < c.nnode(); ++n) {
    nlohmann::json row = nlohmann::json::array();
    for (size_t t = 0; t < c.ntime(); ++t) {
      const float v = c.node_tec(n)[t];
      row.push_back(std::isnan(v) ? nlohmann::json() : nlohmann::json(v));
    }
    expected["tec"].push_back(row);
  }
  std::ofstream(path("expected.json")) << expected.dump();
  std::string output;
  const int rc = run(python + " " + TECSCAN_SOURCE_DIR + "/tests/python/check_cube.py " +
                         path("cube.h5") + " " + path("expected.json"),
                     output);
  EXPECT_EQ(rc, 0) << output;
  EXPECT_NE(output.find("OK"), std::string::npos) << output;
}

}  // namespace
}  // namespace tecscan
