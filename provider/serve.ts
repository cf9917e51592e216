// Serves the provider to the engine (main.cjs loads this).
import * as provider from "@pulumi/pulumi/provider";
import { faasregProvider } from "./index";

void provider.main(faasregProvider, process.argv.slice(2));
