"""The review pages' words in Arabic (the default, right-to-left) and French.

A plain table rather than gettext catalogues: two languages and a few dozen strings, edited by
the moderators' lead in one place. A key missing from a language falls back to Arabic, then to
the key itself, so a forgotten string shows up visibly instead of breaking the page.
"""

LANGUAGES = {"ar": "rtl", "fr": "ltr"}
DEFAULT_LANGUAGE = "ar"

MESSAGES: dict[str, dict[str, str]] = {
    "app_name": {"ar": "الإشراف على التعليقات", "fr": "Modération des commentaires"},
    "language_other": {"ar": "Français", "fr": "العربية"},
    "login": {"ar": "تسجيل الدخول", "fr": "Connexion"},
    "logout": {"ar": "خروج", "fr": "Déconnexion"},
    "username": {"ar": "اسم المستخدم", "fr": "Nom d'utilisateur"},
    "password": {"ar": "كلمة المرور", "fr": "Mot de passe"},
    "login_failed": {"ar": "اسم المستخدم أو كلمة المرور غير صحيحة",
                    "fr": "Nom ou mot de passe incorrect"},
    "login_refused": {"ar": "محاولات فاشلة كثيرة لهذا الحساب: أعد المحاولة بعد ربع ساعة",
                      "fr": "Trop d'échecs pour ce compte : réessayez dans un quart d'heure"},
    "queue": {"ar": "قائمة الانتظار", "fr": "File d'attente"},
    "keywords": {"ar": "قوائم الكلمات", "fr": "Listes de mots"},
    "settings": {"ar": "العتبات والنموذج", "fr": "Seuils et modèle"},
    "status_pending": {"ar": "في الانتظار", "fr": "En attente"},
    "status_published": {"ar": "منشورة", "fr": "Publiés"},
    "status_rejected": {"ar": "مرفوضة", "fr": "Rejetés"},
    "status_all": {"ar": "الكل", "fr": "Tous"},
    # One comment's status (its badge, its history), where French needs the singular.
    "comment_status_pending": {"ar": "في الانتظار", "fr": "En attente"},
    "comment_status_published": {"ar": "منشورة", "fr": "Publié"},
    "comment_status_rejected": {"ar": "مرفوضة", "fr": "Rejeté"},
    "rule_insult": {"ar": "إهانة", "fr": "Insulte"},
    "rule_incitement": {"ar": "تحريض", "fr": "Incitation"},
    "rule_religion": {"ar": "مسّ بالدين", "fr": "Atteinte à la religion"},
    "rule_*": {"ar": "كل القواعد", "fr": "Toutes les règles"},
    # What each rule forbids, and what none does: the site's published rules, for a moderator
    # to check a flag against (the English of service/rules.py, in the moderators' languages).
    "rules_guide": {"ar": "ما تمنعه القواعد", "fr": "Ce que les règles interdisent"},
    "rule_scope_insult": {
        "ar": "الإساءة إلى الكاتب أو إلى أي شخص: سبّه أو تهديده أو الدعاء عليه بالموت أو الأذى أو "
              "لعنه؛ الشتائم؛ الكلام الفاحش.",
        "fr": "Insulter ou injurier l'auteur ou toute personne, la menacer, lui souhaiter la mort "
              "ou du mal, la maudire ; les jurons ; l'obscénité."},
    "rule_scope_incitement": {
        "ar": "التحريض الطائفي أو العنصري: الكراهية ضد جماعة بسبب مذهبها أو طائفتها الدينية أو "
              "عرقها أو أصلها أو قبيلتها أو جهتها أو جنسيتها.",
        "fr": "L'incitation sectaire ou raciste : la haine d'un groupe pour sa confession, sa "
              "communauté religieuse, sa race, son ethnie, son origine, sa tribu, sa région ou sa "
              "nationalité."},
    "rule_scope_religion": {
        "ar": "مهاجمة دين أو المقدسات أو الأنبياء أو الكتب المقدسة أو الذات الإلهية، أيّ دين كان.",
        "fr": "Les attaques contre une religion, le sacré, les prophètes, les Écritures ou Dieu, "
              "quelle que soit la religion."},
    "rule_scope_allowed": {
        "ar": "مسموح: الحديث عن الدين والطوائف والمهاجرين والإرهاب، والنقد الحاد للمسؤولين أو "
              "للمقال.",
        "fr": "Permis : parler de religion, de confessions, de migrants ou de terrorisme, et "
              "critiquer durement les responsables ou l'article."},
    "all_rules": {"ar": "كل القواعد", "fr": "Toutes les règles"},
    "search": {"ar": "بحث في النص", "fr": "Rechercher dans le texte"},
    "article": {"ar": "المقال", "fr": "Article"},
    "author": {"ar": "الكاتب", "fr": "Auteur"},
    "decided_by_anyone": {"ar": "كل القرارات", "fr": "Toutes les décisions"},
    "decided_by_system": {"ar": "قرار الخدمة وحدها", "fr": "Décidés par le service seul"},
    "decided_by_person": {"ar": "قرار مشرف", "fr": "Décidés par un modérateur"},
    "sort": {"ar": "الترتيب", "fr": "Tri"},
    "sort_oldest": {"ar": "الأقدم أولا", "fr": "Plus anciens d'abord"},
    "sort_newest": {"ar": "الأحدث أولا", "fr": "Plus récents d'abord"},
    "sort_score": {"ar": "الأعلى درجة", "fr": "Score le plus élevé"},
    "filter": {"ar": "تصفية", "fr": "Filtrer"},
    "approve": {"ar": "قبول", "fr": "Approuver"},
    "reject": {"ar": "رفض", "fr": "Rejeter"},
    "approve_selected": {"ar": "قبول المحدد", "fr": "Approuver la sélection"},
    "reject_selected": {"ar": "رفض المحدد", "fr": "Rejeter la sélection"},
    "select": {"ar": "تحديد", "fr": "Sélectionner"},
    "next_page": {"ar": "الصفحة التالية", "fr": "Page suivante"},
    "empty_queue": {"ar": "لا توجد تعليقات هنا", "fr": "Aucun commentaire ici"},
    "scores": {"ar": "الدرجات", "fr": "Scores"},
    "matched": {"ar": "كلمات مطابقة", "fr": "Termes repérés"},
    "reasons": {"ar": "الأسباب", "fr": "Raisons"},
    "history": {"ar": "السجل", "fr": "Historique"},
    "history_when": {"ar": "الوقت", "fr": "Date"},
    "history_who": {"ar": "من", "fr": "Par"},
    "history_action": {"ar": "الإجراء", "fr": "Action"},
    "history_status": {"ar": "الحالة", "fr": "Statut"},
    "rules": {"ar": "القواعد", "fr": "Règles"},
    "list_separator": {"ar": "، ", "fr": ", "},
    # The audit log's actions on a comment: the service's verdict when it arrived, then people's
    # decisions.
    "action_system.approve": {"ar": "نشرته الخدمة", "fr": "Publié par le service"},
    "action_system.review": {"ar": "أحالته الخدمة على المراجعة",
                             "fr": "Mis en attente de revue par le service"},
    "action_system.reject": {"ar": "رفضته الخدمة", "fr": "Rejeté par le service"},
    "action_decision.approve": {"ar": "قبول", "fr": "Approbation"},
    "action_decision.reject": {"ar": "رفض", "fr": "Rejet"},
    "author_history": {"ar": "تعليقات الكاتب السابقة", "fr": "Commentaires précédents de l'auteur"},
    "author_counts": {"ar": "{total} تعليق، {rejected} مرفوض",
                     "fr": "{total} commentaires, {rejected} rejetés"},
    "details": {"ar": "التفاصيل", "fr": "Détails"},
    "comment_by": {"ar": "تعليق {author}", "fr": "Commentaire de {author}"},
    "rule_fired": {"ar": "(فوق العتبة)", "fr": "(au-dessus du seuil)"},
    "actions": {"ar": "إجراءات", "fr": "Actions"},
    "note": {"ar": "ملاحظة", "fr": "Note"},
    "decided_by": {"ar": "القرار من", "fr": "Décidé par"},
    "received": {"ar": "وصل في", "fr": "Reçu le"},
    "system": {"ar": "النظام", "fr": "Système"},
    "decision_saved": {"ar": "تم حفظ القرار", "fr": "Décision enregistrée"},
    "decision_conflict": {"ar": "قرر مشرف آخر في هذا التعليق للتو ({who}: {status})",
                         "fr": "Un autre modérateur vient de décider ce commentaire "
                               "({who} : {status})"},
    "bulk_done": {"ar": "تم تطبيق القرار على {n} تعليق",
                 "fr": "Décision appliquée à {n} commentaires"},
    "bulk_conflicts": {"ar": "{n} تعليق قرر فيه مشرف آخر قبلك، فبقي كما قرره",
                       "fr": "{n} commentaires déjà décidés par un autre modérateur : "
                             "laissés tels quels"},
    # The site deleted a comment (DELETE /v1/comments/<id>) while a moderator had its card open.
    "comment_withdrawn": {"ar": "حذف الموقع هذا التعليق، فلم يعد هناك ما يُقرَّر فيه",
                          "fr": "Le site a retiré ce commentaire : il n'y a plus rien à décider"},
    "bulk_withdrawn": {"ar": "{n} تعليق حذفه الموقع، فلم يُطبَّق عليه القرار",
                       "fr": "{n} commentaires retirés par le site : aucune décision appliquée"},
    "session_ended": {"ar": "انتهت جلستك: سجّل الدخول من جديد ثم أعد المحاولة",
                      "fr": "Votre session a pris fin : reconnectez-vous puis réessayez"},
    "role_moderator": {"ar": "مشرف", "fr": "modérateur"},
    "role_site": {"ar": "الموقع", "fr": "site"},
    "role_admin": {"ar": "مدير", "fr": "administrateur"},
    "error_title": {"ar": "تعذر تنفيذ الطلب", "fr": "La demande n'a pas abouti"},
    "error_400": {"ar": "الطلب غير صالح", "fr": "Requête invalide"},
    "error_403": {"ar": "هذه الصفحة للمديرين فقط", "fr": "Page réservée aux administrateurs"},
    "error_404": {"ar": "غير موجود", "fr": "Introuvable"},
    "error_405": {"ar": "لا يمكن فتح هذا العنوان بهذه الطريقة",
                  "fr": "Cette adresse ne s'ouvre pas de cette façon"},
    "error_409": {"ar": "موجود من قبل أو تغير في الأثناء",
                  "fr": "Existe déjà ou a changé entre-temps"},
    "error_410": {"ar": "حذف الموقع هذا التعليق", "fr": "Commentaire retiré par le site"},
    "error_413": {"ar": "النص طويل جدا", "fr": "Texte trop long"},
    "error_422": {"ar": "قيمة غير مقبولة", "fr": "Valeur non acceptée"},
    "error_500": {"ar": "خطأ في الخادم، أعد المحاولة بعد قليل",
                  "fr": "Erreur du serveur ; réessayez dans un instant"},
    "error_detail": {"ar": "التفاصيل التقنية", "fr": "Détail technique"},
    "back": {"ar": "رجوع", "fr": "Retour"},
    "back_to_queue": {"ar": "العودة إلى قائمة الانتظار", "fr": "Retour à la file d'attente"},
    "reason_keyword": {"ar": "كلمة من القوائم", "fr": "mot des listes"},
    "reason_model": {"ar": "درجة النموذج", "fr": "score du modèle"},
    "weighing_words": {"ar": "الكلمات التي رفعت الدرجة", "fr": "mots qui ont fait monter le score"},
    "scored_passage": {"ar": "المقطع الذي نال الدرجة", "fr": "passage qui a reçu ce score"},
    "reason_verdict_review": {"ar": "مراجعة", "fr": "à revoir"},
    "reason_verdict_reject": {"ar": "رفض", "fr": "rejet"},
    "nothing_selected": {"ar": "لم يتم تحديد أي تعليق", "fr": "Aucun commentaire sélectionné"},
    "shortcuts": {"ar": "اختصارات لوحة المفاتيح", "fr": "Raccourcis clavier"},
    "key_next": {"ar": "التعليق التالي", "fr": "Commentaire suivant"},
    "key_prev": {"ar": "التعليق السابق", "fr": "Commentaire précédent"},
    "key_approve": {"ar": "قبول التعليق المحدد", "fr": "Approuver le commentaire actif"},
    "key_reject": {"ar": "رفض التعليق المحدد", "fr": "Rejeter le commentaire actif"},
    "key_select": {"ar": "تحديد للقرار الجماعي", "fr": "Sélectionner pour la décision groupée"},
    "key_open": {"ar": "فتح التفاصيل", "fr": "Ouvrir les détails"},
    "key_help": {"ar": "إظهار هذه المساعدة", "fr": "Afficher cette aide"},
    "close": {"ar": "إغلاق", "fr": "Fermer"},
    "rule": {"ar": "القاعدة", "fr": "Règle"},
    "level": {"ar": "المستوى", "fr": "Niveau"},
    "term": {"ar": "الكلمة", "fr": "Terme"},
    "level_block": {"ar": "حظر", "fr": "Bloquer"},
    "level_suspect": {"ar": "مشبوه", "fr": "Suspect"},
    "level_allow": {"ar": "مسموح", "fr": "Autoriser"},
    "level_denial": {"ar": "نفي القول", "fr": "Négation"},
    # The allow list and the denials are one list each for every rule: the form says so,
    # whatever rule is chosen.
    "level_allow_form": {"ar": "مسموح (لكل القواعد، تُلغى المطابقة)",
                         "fr": "Autoriser (toutes les règles : plus de correspondance)"},
    "level_denial_form": {"ar": "نفي القول (لكل القواعد: الكلمة المحظورة بعده تصبح مشبوهة)",
                          "fr": "Négation (toutes les règles : le terme bloqué qui suit est "
                                "seulement suspect)"},
    "add": {"ar": "إضافة", "fr": "Ajouter"},
    "hide": {"ar": "إخفاء", "fr": "Masquer"},
    "delete": {"ar": "حذف", "fr": "Supprimer"},
    "delete_override": {"ar": "حذف التعديل", "fr": "Supprimer la modification"},
    "every_rule_lists": {"ar": "المسموح ونفي القول (لكل القواعد)",
                         "fr": "Autorisés et négations (toutes les règles)"},
    # Asked before a change that applies to the whole site at once.
    "confirm_hide": {"ar": "إخفاء «{term}» من القائمة الأساسية؟ لن تُطابق في أي تعليق جديد.",
                     "fr": "Masquer « {term} » de la liste de base ? Il ne sera plus repéré "
                           "dans aucun nouveau commentaire."},
    "confirm_delete_override": {"ar": "حذف التعديل على «{term}»؟ تعود القائمة الأساسية كما "
                                      "كانت لهذه الكلمة.",
                                "fr": "Supprimer la modification de « {term} » ? La liste de base "
                                      "s'applique de nouveau à ce terme."},
    "confirm_bulk_reject": {"ar": "رفض كل التعليقات المحددة؟",
                            "fr": "Rejeter tous les commentaires sélectionnés ?"},
    "overrides": {"ar": "تعديلات المشرفين", "fr": "Modifications des administrateurs"},
    "file_lists": {"ar": "القوائم الأساسية", "fr": "Listes de base"},
    "hidden": {"ar": "مخفي", "fr": "masqué"},
    "added": {"ar": "مضاف", "fr": "ajouté"},
    "lists_saved": {"ar": "تم الحفظ، وسيسري التغيير خلال ثوان",
                   "fr": "Enregistré ; effectif en quelques secondes"},
    "admins_only": {"ar": "التعديل للمديرين فقط",
                   "fr": "Modification réservée aux administrateurs"},
    "model": {"ar": "النموذج", "fr": "Modèle"},
    "model_version": {"ar": "نسخة النموذج", "fr": "Version du modèle"},
    "created_at": {"ar": "تاريخ الإنشاء", "fr": "Créé le"},
    "thresholds": {"ar": "العتبات", "fr": "Seuils"},
    "threshold_suspect": {"ar": "عتبة الكلمات المشبوهة", "fr": "Seuil des termes suspects"},
    "threshold_review": {"ar": "عتبة المراجعة", "fr": "Seuil de revue"},
    "threshold_reject": {"ar": "عتبة الرفض", "fr": "Seuil de rejet"},
    "stored": {"ar": "مع النموذج", "fr": "du modèle"},
    "in_force": {"ar": "المعمول بها", "fr": "en vigueur"},
    "save": {"ar": "حفظ", "fr": "Enregistrer"},
    "thresholds_saved": {"ar": "تم حفظ العتبات", "fr": "Seuils enregistrés"},
    "metrics": {"ar": "المقاييس", "fr": "Métriques"},
    # The service's verdicts against moderators' decisions on the last days' comments; counts
    # after a colon, as elsewhere, so that Arabic needs no plural forms.
    "outcomes": {"ar": "الخدمة وقرارات المشرفين: تعليقات آخر {days} أيام",
                 "fr": "Le service et les décisions des modérateurs : commentaires des {days} "
                       "derniers jours"},
    "outcome_verdict": {"ar": "حكم الخدمة", "fr": "Verdict du service"},
    "outcome_received": {"ar": "وصلت", "fr": "Reçus"},
    "outcome_pending": {"ar": "ما زالت في الانتظار", "fr": "Toujours en attente"},
    "outcome_service_alone": {"ar": "بقرار الخدمة وحدها", "fr": "Décision du service seul"},
    "outcome_published": {"ar": "نشرها مشرف", "fr": "Publiés par un modérateur"},
    "outcome_rejected": {"ar": "رفضها مشرف", "fr": "Rejetés par un modérateur"},
    "verdict_approve": {"ar": "قبول", "fr": "Approuvé"},
    "verdict_review": {"ar": "مراجعة", "fr": "En revue"},
    "verdict_reject": {"ar": "رفض", "fr": "Rejeté"},
    "outcome_misses": {"ar": "ما فات الخدمة (قبلته ورفضه مشرف): {n}",
                       "fr": "Oublis du service (approuvés, puis rejetés par un modérateur) : {n}"},
    "outcome_false_alarms": {
        "ar": "إنذارات خاطئة (أمسكته الخدمة ونشره مشرف): {n}",
        "fr": "Fausses alertes (retenus par le service, puis publiés par un modérateur) : {n}"},
    "reply_to": {"ar": "رد على", "fr": "Réponse à"},
    # A long comment folded to a few lines in the queue, and what the fold hides. The count
    # comes after a colon: Arabic would otherwise need a plural form for every number.
    "show_all": {"ar": "عرض النص كاملا", "fr": "Afficher tout"},
    "show_less": {"ar": "عرض أقل", "fr": "Afficher moins"},
    "hidden_marks": {"ar": "كلمات مميزة في الجزء المخفي: {n}",
                     "fr": "Termes surlignés dans la partie masquée : {n}"},
    "hidden_passage": {"ar": "المقطع الذي نال الدرجة في الجزء المخفي",
                       "fr": "Le passage qui a reçu ce score est dans la partie masquée"},
}


def translate(key: str, language: str, **values: object) -> str:
    """Return the text for ``key`` in ``language`` with ``values`` filled in."""
    entry = MESSAGES.get(key, {})
    text = entry.get(language) or entry.get(DEFAULT_LANGUAGE) or key
    return text.format(**values) if values else text


def error_heading(code: int) -> str:
    """The key of an error's title: its own for the common codes, a general one otherwise."""
    return f"error_{code}" if f"error_{code}" in MESSAGES else "error_title"
