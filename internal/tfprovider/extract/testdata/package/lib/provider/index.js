"use strict";
class GoogleProvider extends cdktf.TerraformProvider {
    synthesizeHclAttributes() {
        const attrs = {
            alias: {
                value: cdktf.stringToHclTerraform(this._alias),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
            project: {
                value: cdktf.stringToHclTerraform(this._project),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
        };
        return attrs;
    }
}
exports.GoogleProvider = GoogleProvider;
GoogleProvider.tfResourceType = "google";
