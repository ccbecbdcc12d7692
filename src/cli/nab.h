// `vigil nab DIR --out OUT [--detector NAME]`: runs a streaming anomaly
// detector over Numenta Anomaly Benchmark CSV files (`timestamp,value`,
// timestamps "YYYY-MM-DD HH:MM:SS" in UTC) and writes, for each
// DIR/<category>/<file>.csv, OUT/<category>/<file>.csv with
// `timestamp,value,anomaly_score`, one row per input row, in order, as
// NAB's scorer reads them (docs/anomaly.md). Each file is one stream: a
// fresh detector, one pass, nothing read ahead.
//
// Detectors: any single-value detector of anomaly::Registry with its
// default parameters: "ensemble" (the default, the one measured for NAB),
// "robust_z", "ewma", "cusum", "seasonal"; an unknown name is kNotFound.
//
// Thread safety: a plain function.
#pragma once

#include <cstdio>
#include <string>

#include "vigil/status.h"

namespace vigil::cli {

struct NabOptions {
  std::string data_dir;
  std::string out_dir;
  std::string detector = "ensemble";
};

// Errors name the file and line (a bad timestamp or value, a missing
// header) or the detector; kNotFound when DIR holds no CSV file.
Status RunNab(const NabOptions& options, std::FILE* log);

}  // namespace vigil::cli
