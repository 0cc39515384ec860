// The `detector:` section of a rule pack (engine/rule_pack.h documents the
// keys; rules/default/detector.yaml writes every default out): read into
// CrisisDetectorOptions, every error naming file, line and key.
#ifndef TRIAGE_ENGINE_DETECTOR_CONFIG_H_
#define TRIAGE_ENGINE_DETECTOR_CONFIG_H_

#include <yaml-cpp/yaml.h>

#include "engine/detector_options.h"
#include "engine/yaml_reader.h"

namespace triage {

// Reads the section's mapping `n` into *out (which starts at the defaults);
// errors go to the reader.
void ReadDetectorSection(const YAML::Node& n, YamlReader* reader, CrisisDetectorOptions* out);

}  // namespace triage

#endif  // TRIAGE_ENGINE_DETECTOR_CONFIG_H_
