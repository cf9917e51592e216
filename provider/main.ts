// What the language host runs (package.json's main): serve the provider to the engine.
import * as provider from "@pulumi/pulumi/provider";
import { faasregProvider } from "./index";

void provider.main(faasregProvider, process.argv.slice(2));
