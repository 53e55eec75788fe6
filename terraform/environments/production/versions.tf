terraform {
  required_version = ">= 1.9, < 2.0"

  # The state bucket is created by hand before the first init (terraform/README.md, step 1):
  # PROJECT-tfstate, versioned. terraform/names_test.go checks it matches the project.
  backend "gcs" {
    bucket = "twittix-prod-tfstate"
    prefix = "environments/production"
  }

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.50"
    }
  }
}

provider "google" {
  project = var.project
  region  = var.region

  default_labels = {
    managed-by = "terraform"
    env        = "production"
  }
}
