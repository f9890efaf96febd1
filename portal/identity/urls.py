"""Account pages, mounted under /compte/ (French) and /en/compte/ (English)."""

from django.urls import path

from portal.identity.views import access_pass, account, helpdesk, login, mfa, reset, tokens

app_name = "portal"

urlpatterns = [
    path("connexion/", login.login_view, name="login"),
    path("connexion/code/", login.login_code_view, name="login_code"),
    path("connexion/cle/", login.login_key_view, name="login_key"),
    path("connexion/cle/options/", login.login_key_options_view, name="login_key_options"),
    path("confirmer/", login.reauth_view, name="reauth"),
    path("confirmer/cle/options/", login.reauth_key_options_view, name="reauth_key_options"),
    path("deconnexion/", account.logout_view, name="logout"),
    path("ce-netait-pas-moi/<str:token>/", account.not_me_view, name="not_me"),
    path("securite/", account.security_view, name="security"),
    path("securite/deconnecter-autres-sessions/", account.logout_other_sessions_view, name="logout_others"),
    path("securite/sessions/<str:public_id>/deconnecter/", account.session_end_view, name="session_end"),
    path("mot-de-passe/", account.password_change_view, name="password_change"),
    path("mot-de-passe-oublie/", reset.password_reset_view, name="password_reset"),
    path("mot-de-passe-oublie/envoye/", reset.password_reset_sent_view, name="password_reset_sent"),
    path("mot-de-passe-oublie/lien/<str:secret>/", reset.password_reset_link_view, name="password_reset_link"),
    path("mot-de-passe-oublie/nouveau/", reset.password_reset_new_view, name="password_reset_new"),
    path("mot-de-passe-oublie/nouveau/code/", reset.password_reset_code_view, name="password_reset_code"),
    path("mot-de-passe-oublie/nouveau/cle/", reset.password_reset_key_view, name="password_reset_key"),
    path(
        "mot-de-passe-oublie/nouveau/cle/options/",
        reset.password_reset_key_options_view,
        name="password_reset_key_options",
    ),
    path("telephone-perdu/", reset.lost_phone_view, name="lost_phone"),
    path("telephone-perdu/demande/", helpdesk.recovery_request_view, name="recovery_request"),
    path("telephone-perdu/demande/envoyee/", helpdesk.recovery_request_sent_view, name="recovery_request_sent"),
    path("connexion/passe-temporaire/", access_pass.access_pass_login_view, name="access_pass_login"),
    path("passe-temporaire/", access_pass.access_pass_steps_view, name="access_pass_steps"),
    path("passe-temporaire/mot-de-passe/", access_pass.access_pass_password_view, name="access_pass_password"),
    path("approbations/reinitialisations/<int:pk>/", helpdesk.reset_manager_view, name="mfa_reset_manager"),
    path("securite/jetons/ajouter/", tokens.api_token_add_view, name="api_token_add"),
    path("securite/jetons/<str:prefix>/revoquer/", tokens.api_token_revoke_view, name="api_token_revoke"),
    path("double-authentification/", mfa.mfa_overview_view, name="mfa"),
    path("double-authentification/application/ajouter/", mfa.totp_add_view, name="mfa_totp_add"),
    path("double-authentification/<int:device_id>/supprimer/", mfa.device_remove_view, name="mfa_device_remove"),
    path("double-authentification/codes-de-secours/", mfa.recovery_codes_view, name="mfa_recovery_codes"),
    path("double-authentification/cle/ajouter/", mfa.security_key_add_view, name="mfa_key_add"),
    path("double-authentification/cle/options/", mfa.security_key_options_view, name="mfa_key_options"),
    path("double-authentification/cle/<int:key_id>/supprimer/", mfa.security_key_remove_view, name="mfa_key_remove"),
    path("assistance/comptes/<str:username>/securite/", account.account_events_view, name="account_events"),
    path(
        "assistance/comptes/<str:username>/reinitialiser-second-facteur/",
        helpdesk.reset_start_view,
        name="mfa_reset_start",
    ),
    path("assistance/reinitialisations/", helpdesk.resets_view, name="mfa_resets"),
    path("assistance/reinitialisations/<int:pk>/", helpdesk.reset_detail_view, name="mfa_reset_detail"),
    path("assistance/reinitialisations/<int:pk>/approuver/", helpdesk.reset_approve_view, name="mfa_reset_approve"),
    path("assistance/reinitialisations/<int:pk>/refuser/", helpdesk.reset_refuse_view, name="mfa_reset_refuse"),
]
