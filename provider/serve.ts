// Serves the provider to the engine (main.cjs loads this).
import * as provider from "@pulumi/pulumi/provider";
import { captureConfigure } from "./configure";
import { faasregProvider } from "./index";

// Before main registers the server's service: the provider's configuration reaches ./configure.ts.
captureConfigure();
void provider.main(faasregProvider, process.argv.slice(2));
