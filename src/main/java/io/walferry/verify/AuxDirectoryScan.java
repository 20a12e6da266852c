package io.walferry.verify;

import java.util.List;
import java.util.Map;

/**
 * What verify read of one aux directory in a repository (aux_directories).
 *
 * @param manifests every manifest's check, by key below the cluster's directory
 * @param objects   every object's check, by key; those that vanished while verify ran are not there
 * @param named     the key of every object a manifest that read well names, with the ids of those manifests
 */
public record AuxDirectoryScan(String name, Map<String, ObjectCheck> manifests, Map<String, ObjectCheck> objects,
                               Map<String, List<String>> named) {
    public AuxDirectoryScan {
        manifests = Map.copyOf(manifests);
        objects = Map.copyOf(objects);
        named = Map.copyOf(named);
    }
}
