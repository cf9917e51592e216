// The custom resources whose logic is written in the dynamic provider's interface (provider/adapter.ts): the
// registry's htpasswd file, Swarm gate and image pins, the Kubernetes gate, the build host's platform. The stack
// and the package's components declare them. Light on purpose: none of this loads the registry's component or
// @pulumi/kubernetes, so a preview or a no-op up of a stack starts its provider on these alone.
import { dockerPlatformProvider } from "../components/docker-platform";
import { kubernetesGateProvider } from "../components/faas/kubernetes-gate";
import { containerFileProvider } from "../components/registry/container-file";
import { imagePinProvider, swarmGateProvider } from "../components/registry/swarm-gate";
import { DynamicAdapter } from "./adapter";

/** The htpasswd file (its content and the engine's connection secret). */
export const containerFileResource = new DynamicAdapter(containerFileProvider, new Set(["content", "connection"]), new Set(["sha256"]));
/** The Swarm gate (the engine's connection secret). */
export const swarmGateResource = new DynamicAdapter(swarmGateProvider, new Set(["connection"]), new Set(["nodeId"]));
/** An image's pin. */
export const pinnedImageResource = new DynamicAdapter(imagePinProvider, new Set(["connection"]), new Set(["reference", "platforms", "warning"]));
/** The Docker host's platform for the stack's builds. */
export const dockerPlatformResource = new DynamicAdapter(dockerPlatformProvider, new Set(["connection"]), new Set(["platform"]));
/** The Kubernetes gate (the kubeconfig secret). */
export const kubernetesGateResource = new DynamicAdapter(kubernetesGateProvider, new Set(["kubeconfig"]), new Set(["server"]));
